import { ConfigModule } from '@nestjs/config';
import { Test, type TestingModule } from '@nestjs/testing';
import { Client } from 'pg';
import { Sequelize } from 'sequelize-typescript';
import { validateEnvironment } from '../../src/config/environment';
import { DatabaseModule } from '../../src/database/database.module';
import { DatabaseServer } from '../../src/database/database-server';
import { HoldsModule } from '../../src/holds/holds.module';
import { HoldsRepository } from '../../src/holds/holds.repository';
import { TransfersModule } from '../../src/transfers/transfers.module';
import { TransfersRepository } from '../../src/transfers/transfers.repository';
import { UsersRepository } from '../../src/users/users.repository';
import {
  createTestDatabase,
  numericBigints,
  type TestDatabase,
} from '../utils/test-database';

/** What a request that says nothing of the money stores: no reference, no description. */
export const NO_ANNOTATION = { reference: null, description: null };

/** The caller of a repository method in these tests. */
export const TEST_CALLER = { actor: 'test', requestId: null };

export interface DataLayer {
  database: TestDatabase;
  module: TestingModule;
  sequelize: Sequelize;
  users: UsersRepository;
  transfers: TransfersRepository;
  holds: HoldsRepository;
}

/**
 * For the calling `describe`: a fresh database, migrated and seeded by the DatabaseModule's
 * start-up, and the repositories over it, in this process and without HTTP; both gone after.
 */
export function bootDataLayer(): DataLayer {
  const layer = {} as DataLayer;
  beforeAll(async () => {
    layer.database = await createTestDatabase();
    layer.module = await Test.createTestingModule({
      imports: [
        ConfigModule.forRoot({
          isGlobal: true,
          ignoreEnvFile: true,
          validate: validateEnvironment,
        }),
        DatabaseModule,
        TransfersModule,
        HoldsModule,
      ],
    })
      .overrideProvider(DatabaseServer)
      .useValue(new DatabaseServer(layer.database.url))
      .compile();
    layer.module.useLogger(['error']);
    await layer.module.init();
    layer.sequelize = layer.module.get(Sequelize);
    layer.users = layer.module.get(UsersRepository);
    layer.transfers = layer.module.get(TransfersRepository);
    layer.holds = layer.module.get(HoldsRepository);
  });
  afterAll(async () => {
    await layer.module?.close();
    await layer.database?.drop();
  });
  return layer;
}

/**
 * A session of its own on the test database, to hold row locks while the code under test runs,
 * and to see what it locks: `NOWAIT` fails at once on a row another transaction holds.
 */
export async function lockingSession(url: string): Promise<{
  client: Client;
  /** True when the row is free now (locked and released at once), false when someone holds it. */
  isFree(table: string, id: number): Promise<boolean>;
  end(): Promise<void>;
}> {
  const client = new Client({ connectionString: url, types: numericBigints });
  await client.connect();
  const probe = new Client({ connectionString: url });
  await probe.connect();
  return {
    client,
    isFree: async (table, id) => {
      await probe.query('BEGIN');
      try {
        await probe.query(
          `SELECT 1 FROM ${table} WHERE id = $1 FOR UPDATE NOWAIT`,
          [id],
        );
        return true;
      } catch (error) {
        if ((error as { code?: string }).code === '55P03') return false;
        throw error;
      } finally {
        await probe.query('ROLLBACK');
      }
    },
    end: async () => {
      await client.end();
      await probe.end();
    },
  };
}

/** Resolves once PostgreSQL shows a session waiting for a lock (the call under test queued). */
export async function untilSomeoneWaitsForALock(url: string): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    for (let attempt = 0; attempt < 500; attempt++) {
      const { rows } = await client.query<{ waiting: number }>(
        `SELECT count(*)::int AS waiting FROM pg_stat_activity
         WHERE datname = current_database() AND wait_event_type = 'Lock'`,
      );
      if (rows[0].waiting > 0) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error('Nobody waited for a lock within 5 s');
  } finally {
    await client.end();
  }
}
