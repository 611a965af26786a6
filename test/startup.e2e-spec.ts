import { readdirSync } from 'node:fs';
import { MIGRATIONS_DIR } from '../src/database/migrator';
import { spawnInstance, startInstance } from './utils/instance';
import { createTestDatabase, type TestDatabase } from './utils/test-database';

const MIGRATION_NAMES = readdirSync(MIGRATIONS_DIR)
  .filter((file) => file.endsWith('.up.sql'))
  .map((file) => file.replace(/\.up\.sql$/, ''))
  .sort();

describe('start-up', () => {
  let database: TestDatabase;

  beforeEach(async () => {
    database = await createTestDatabase();
  });

  afterEach(async () => {
    await database?.drop();
  });

  const appliedMigrations = async () =>
    (
      await database.query<{ name: string }>(
        'SELECT name FROM "SequelizeMeta" ORDER BY name',
      )
    ).map((row) => row.name);

  it('migrates once and seeds once when three instances start at the same moment', async () => {
    const instances = await Promise.all(
      [1, 2, 3].map(() => startInstance(database.url)),
    );
    try {
      expect(await appliedMigrations()).toEqual(MIGRATION_NAMES);
      expect(await database.query('SELECT id, balance FROM users')).toEqual([
        { id: 1, balance: 10_000 },
      ]);
      for (const instance of instances) {
        const response = await fetch(`${instance.url}/users/1`);
        expect(response.status).toBe(200);
      }
    } finally {
      await Promise.all(instances.map((instance) => instance.stop()));
    }
  });

  it('keeps the user and its balance across a restart, without re-running migrations', async () => {
    const first = await startInstance(database.url);
    const debit = await fetch(`${first.url}/users/1/balance`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ amount: -42 }),
    });
    expect(debit.status).toBe(200);
    await first.stop();
    const [{ migrated_at: migratedAt }] = await database.query<{
      migrated_at: Date;
    }>('SELECT xmin::text AS migrated_at FROM "SequelizeMeta" LIMIT 1');

    const second = await startInstance(database.url);
    try {
      expect(await database.query('SELECT id, balance FROM users')).toEqual([
        { id: 1, balance: 9_958 },
      ]);
      expect(await appliedMigrations()).toEqual(MIGRATION_NAMES);
      // The meta rows are the very same rows: nothing was re-applied or re-recorded.
      expect(
        await database.query(
          'SELECT xmin::text AS migrated_at FROM "SequelizeMeta" LIMIT 1',
        ),
      ).toEqual([{ migrated_at: migratedAt }]);
    } finally {
      await second.stop();
    }
  });

  it('refuses to start when a migration fails, and says which', async () => {
    // A table in the way makes the first migration fail.
    await database.query('CREATE TABLE users (id integer)');
    const instance = await spawnInstance(database.url);
    expect(await instance.exited).toBe(1);
    expect(instance.output()).toMatch(
      /Start-up failed: Migration \S+create-users \(up\) failed/,
    );
    expect(instance.output()).toMatch(/relation "users" already exists/);
  });

  it('refuses to start on invalid configuration, with one line naming the variable', async () => {
    const instance = await spawnInstance(database.url, { DB_POOL_MAX: 'many' });
    expect(await instance.exited).toBe(1);
    expect(instance.output().trim().split('\n')).toEqual([
      expect.stringMatching(
        /^Start-up failed: Invalid configuration: DB_POOL_MAX must be/,
      ),
    ]);
    // Nothing happened before the refusal: not even a migration.
    expect(
      await database.query("SELECT to_regclass('users') AS users"),
    ).toEqual([{ users: null }]);
  });
});
