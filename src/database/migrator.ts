import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Sequelize } from 'sequelize';
import { SequelizeStorage, Umzug, type UmzugOptions } from 'umzug';

/** Plain SQL, outside the TypeScript build; anchored here so it resolves from `src/` and `dist/`. */
export const MIGRATIONS_DIR = join(__dirname, '..', '..', 'db', 'migrations');

/** Serializes migrations (and the seed) across instances starting at the same moment. */
export const MIGRATION_LOCK = 'balance-service:migrations';

const UP = /\.up\.sql$/;

/**
 * The one migrator, used by the app at start-up and by `npm run migration:*`.
 * A migration is a pair of files, `<timestamp>.<name>.up.sql` and `.down.sql`; each file runs
 * as one multi-statement query, which PostgreSQL executes as a single transaction.
 * `up` and `down` hold a session advisory lock, so it needs a session-capable connection.
 */
export function createMigrator(
  sequelize: Sequelize,
  logger: UmzugOptions['logger'] = undefined,
): Umzug<Sequelize> {
  const runFile = async (path: string) => {
    await sequelize.query(await readFile(path, 'utf8'));
  };
  const migrator = new Umzug({
    migrations: {
      glob: ['*.up.sql', { cwd: MIGRATIONS_DIR }],
      resolve: ({ name, path }) => ({
        name: name.replace(UP, ''),
        path,
        up: () => runFile(path!),
        down: () => runFile(path!.replace(UP, '.down.sql')),
      }),
    },
    context: sequelize,
    storage: new SequelizeStorage({ sequelize }),
    logger,
    create: {
      folder: MIGRATIONS_DIR,
      template: (path) => [
        [`${path}.up.sql`, '-- Runs as one transaction.\n'],
        [`${path}.down.sql`, '-- Reverts the .up.sql of the same name.\n'],
      ],
    },
  });
  const holdsLock = (command: string) => command === 'up' || command === 'down';
  migrator.on('beforeCommand', async ({ command }) => {
    if (holdsLock(command)) {
      await sequelize.query('SELECT pg_advisory_lock(hashtext($1))', {
        bind: [MIGRATION_LOCK],
      });
    }
  });
  migrator.on('afterCommand', async ({ command }) => {
    if (holdsLock(command)) {
      await sequelize.query('SELECT pg_advisory_unlock(hashtext($1))', {
        bind: [MIGRATION_LOCK],
      });
    }
  });
  return migrator;
}

/**
 * A connection for migrations alone: exactly one session, so that the advisory lock, the
 * migrations and the unlock all run on it.
 */
export function createMigrationConnection(url: string): Sequelize {
  return new Sequelize(url, {
    dialect: 'postgres',
    logging: false,
    pool: { max: 1, min: 0, idle: 60_000 },
  });
}
