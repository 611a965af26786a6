import { Logger, Module, OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { SequelizeModule } from '@nestjs/sequelize';
import { types } from 'pg';
import { Sequelize } from 'sequelize-typescript';
import { Environment } from '../config/environment';
import { UsersModule } from '../users/users.module';
import { UsersRepository } from '../users/users.repository';
import { commitOutcomeHooks } from './commit-outcome';
import { DatabaseServer } from './database-server';
import { DatabaseServerModule } from './database-server.module';
import { createMigrationConnection, migrate } from './migrator';
import { seed } from './seed';

// pg returns BIGINT as a string, because it can exceed 2^53. Every bigint column here is bounded
// by a CHECK to Number.MAX_SAFE_INTEGER, or counts up by one (a sequence, a user's version) and
// stays far below it, so a number is exact. This is the one place where that conversion happens.
types.setTypeParser(types.builtins.INT8, Number);

/** Bounds on waiting for an unresponsive PostgreSQL (documented in the README's Guarantees). */
const CONNECT_TIMEOUT_MS = 5_000;
const QUERY_TIMEOUT_MS = 10_000;

/**
 * Connects the app's pool, then, before the app listens, applies pending migrations and the
 * changed functions of db/functions, and seeds. A failed migration fails start-up: the app never
 * serves a schema it does not know.
 */
@Module({
  imports: [
    DatabaseServerModule,
    UsersModule,
    SequelizeModule.forRootAsync({
      imports: [DatabaseServerModule],
      inject: [DatabaseServer, ConfigService],
      useFactory: (
        server: DatabaseServer,
        config: ConfigService<Environment, true>,
      ) => ({
        dialect: 'postgres',
        uri: server.url,
        // The models each feature module registers with SequelizeModule.forFeature.
        autoLoadModels: true,
        synchronize: false,
        // Logging every query costs CPU on every request.
        logging: false,
        hooks: commitOutcomeHooks,
        dialectOptions: {
          // An unresponsive server (frozen, partitioned) must not hold a request forever: a
          // connection attempt gives up after 5 s, a query after 10 s (Sequelize then discards
          // the connection, so its transaction rolls back). Both answer 503; see README.
          // query_timeout gives up on the client's side only: a COMMIT's wait for the
          // synchronous standby is never cancelled by the service (docs/high-availability.md).
          connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
          query_timeout: QUERY_TIMEOUT_MS,
          keepAlive: true,
        },
        pool: {
          max: config.get('DB_POOL_MAX', { infer: true }),
          // Never cold: see fillPool.
          min: config.get('DB_POOL_MAX', { infer: true }),
          acquire: config.get('DB_POOL_ACQUIRE_TIMEOUT_MS', { infer: true }),
        },
        retryAttempts: 5,
        retryDelay: 1_000,
      }),
    }),
  ],
  exports: [DatabaseServerModule],
})
export class DatabaseModule implements OnModuleInit {
  private readonly logger = new Logger(DatabaseModule.name);

  constructor(
    private readonly server: DatabaseServer,
    private readonly config: ConfigService<Environment, true>,
    private readonly sequelize: Sequelize,
    private readonly users: UsersRepository,
  ) {}

  async onModuleInit(): Promise<void> {
    // The advisory lock needs a session: a direct connection, not a transaction pooler.
    const connection = createMigrationConnection(
      this.config.get('DATABASE_MIGRATION_URL', { infer: true }) ??
        this.server.url,
    );
    try {
      await migrate(connection, (line) => this.logger.log(line));
    } finally {
      await connection.close();
    }
    await seed(this.sequelize, this.users);
    await this.fillPool();
  }

  /**
   * Opens every pooled connection before the app listens; with `min` = `max` the pool keeps
   * them through quiet spells and replaces one that breaks at once. A pool that opened its
   * connections on demand opened them in the worst moment: while a burst's thousands of
   * requests held the event loop, a handshake's answer waited unread past the 5 s connect
   * timeout, and each connect that gave up failed a request queued for a connection (503)
   * though PostgreSQL was fine. Connecting at a quiet moment removes that race; the connect
   * timeout stays short, so an unreachable server is still reported within seconds.
   */
  private async fillPool(): Promise<void> {
    const manager = this.sequelize.connectionManager;
    const connections = await Promise.all(
      Array.from(
        { length: this.config.get('DB_POOL_MAX', { infer: true }) },
        () => manager.getConnection({ type: 'write' }),
      ),
    );
    connections.forEach((connection) => manager.releaseConnection(connection));
  }
}
