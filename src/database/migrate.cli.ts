import { existsSync } from 'node:fs';
import { Sequelize } from 'sequelize';
import { validateEnvironment } from '../config/environment';
import { DatabaseServer } from './database-server';
import { createMigrationConnection, createMigrator, migrate } from './migrator';

/**
 * `npm run migration:<create|up|pending>`: `up` migrates as the app does at start-up; the others
 * are Umzug's CLI over the dated migrations (`--help` lists them). Configured like the app: the
 * environment, then `.env`.
 */
async function main(): Promise<void> {
  if (existsSync('.env')) {
    process.loadEnvFile('.env');
  }
  // `create` only writes files; every other command needs the database.
  const environment = validateEnvironment(process.env);
  const server =
    process.argv[2] === 'create'
      ? undefined
      : await DatabaseServer.resolve(environment);
  const connection = server
    ? createMigrationConnection(
        environment.DATABASE_MIGRATION_URL ?? server.url,
      )
    : new Sequelize({ dialect: 'postgres' });
  try {
    if (process.argv[2] === 'up') {
      await migrate(connection, (line) => console.log(line));
    } else {
      await createMigrator(connection, console).runAsCLI();
    }
  } finally {
    await connection.close();
    await server?.onApplicationShutdown();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
