import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Sequelize } from 'sequelize';
import { SequelizeStorage, Umzug, type UmzugOptions } from 'umzug';

/** Plain SQL, outside the TypeScript build; anchored here so it resolves from `src/` and `dist/`. */
const DB_DIR = join(__dirname, '..', '..', 'db');

/** Dated migrations: tables, indexes, constraints. Applied once each, in name order. */
export const MIGRATIONS_DIR = join(DB_DIR, 'migrations');

/** Repeatable migrations: the current text of every SQL function, one file each. */
export const FUNCTIONS_DIR = join(DB_DIR, 'functions');

/** Serializes migrations (and the seed) across instances starting at the same moment. */
export const MIGRATION_LOCK = 'balance-service:migrations';

const SQL = /\.sql$/;

/**
 * The dated migrations (`db/migrations/<timestamp>.<name>.sql`, each one multi-statement query,
 * which PostgreSQL runs as one transaction), for `migrate` and `npm run migration:*`. They go
 * forward only: a change is undone by a new migration.
 */
export function createMigrator(
  sequelize: Sequelize,
  logger: UmzugOptions['logger'] = undefined,
): Umzug<Sequelize> {
  return new Umzug({
    migrations: {
      glob: ['*.sql', { cwd: MIGRATIONS_DIR }],
      resolve: ({ name, path }) => ({
        name: name.replace(SQL, ''),
        path,
        up: async () => {
          await sequelize.query(await readFile(path!, 'utf8'));
        },
      }),
    },
    context: sequelize,
    storage: new SequelizeStorage({ sequelize }),
    logger,
    create: {
      folder: MIGRATIONS_DIR,
      template: (path) => [
        [
          `${path}.sql`,
          '-- Runs as one transaction. Tables, indexes and constraints only: functions live in db/functions.\n',
        ],
      ],
    },
  });
}

/**
 * Applies each function file whose SHA-256 differs from the one recorded, in name order, each
 * in a transaction with its record. Returns the names applied.
 */
async function applyFunctions(sequelize: Sequelize): Promise<string[]> {
  await sequelize.query(`
    CREATE TABLE IF NOT EXISTS schema_functions (
      name text PRIMARY KEY,
      sha256 text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
  const [rows] = await sequelize.query(
    'SELECT name, sha256 FROM schema_functions',
  );
  const applied = new Map(
    (rows as { name: string; sha256: string }[]).map((row) => [
      row.name,
      row.sha256,
    ]),
  );
  const names = (await readdir(FUNCTIONS_DIR))
    .filter((file) => SQL.test(file))
    .sort();
  const changed: string[] = [];
  for (const file of names) {
    const text = await readFile(join(FUNCTIONS_DIR, file), 'utf8');
    const name = file.replace(SQL, '');
    const sha256 = createHash('sha256').update(text).digest('hex');
    if (applied.get(name) === sha256) {
      continue;
    }
    await sequelize.transaction(async (transaction) => {
      await sequelize.query(text, { transaction });
      await sequelize.query(
        `INSERT INTO schema_functions (name, sha256) VALUES ($1, $2)
         ON CONFLICT (name) DO UPDATE SET sha256 = excluded.sha256, applied_at = now()`,
        { bind: [name, sha256], transaction },
      );
    });
    changed.push(name);
  }
  return changed;
}

/**
 * Brings the schema up to date, as the app does at start-up and `npm run migration:up` does:
 * the pending dated migrations, then every file of `db/functions` whose text is not the one
 * applied last (recorded by its SHA-256 in `schema_functions`), as Flyway applies its `R__`
 * files after the versioned ones. Both run under one session advisory lock, so that instances
 * starting at once take turns; `connection` must be a session of its own (see
 * `createMigrationConnection`). `log` gets a line for each migration and function applied.
 */
export async function migrate(
  connection: Sequelize,
  log: (line: string) => void,
): Promise<void> {
  await connection.query('SELECT pg_advisory_lock(hashtext($1))', {
    bind: [MIGRATION_LOCK],
  });
  try {
    for (const { name } of await createMigrator(connection).up()) {
      log(`Applied migration ${name}`);
    }
    for (const name of await applyFunctions(connection)) {
      log(`Applied function ${name}`);
    }
  } finally {
    await connection.query('SELECT pg_advisory_unlock(hashtext($1))', {
      bind: [MIGRATION_LOCK],
    });
  }
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
