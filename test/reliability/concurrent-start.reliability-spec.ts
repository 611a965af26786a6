import { readdirSync } from 'node:fs';
import { Client } from 'pg';
import { MIGRATIONS_DIR } from '../../src/database/migrator';
import { send } from '../utils/client';
import { type Instance, startInstance } from '../utils/instance';
import { invariantViolations } from '../utils/invariants';
import { createTestDatabase, type TestDatabase } from '../utils/test-database';

/** Every migration in the directory, by the name the migrator records. */
const MIGRATION_NAMES = readdirSync(MIGRATIONS_DIR)
  .filter((file) => file.endsWith('.sql'))
  .map((file) => file.replace(/\.sql$/, ''))
  .sort();

describe('five instances started at the same moment on an empty database', () => {
  let database: TestDatabase;
  let instances: Instance[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
  });

  afterAll(async () => {
    await Promise.all(instances.map((instance) => instance.stop()));
    instances = [];
    await database?.drop();
  });

  it('all become healthy, with every migration applied once and one seed user', async () => {
    // Processes take hundreds of milliseconds to boot, a migration a few: to make them really
    // meet, the test creates the migrator's meta table in a transaction it keeps open, so every
    // instance blocks on it; once all five wait, it rolls back (the database is empty again)
    // and they are released at the same instant.
    const gate = new Client({ connectionString: database.url });
    await gate.connect();
    await gate.query('BEGIN');
    await gate.query('CREATE TABLE "SequelizeMeta" (name varchar(255))');
    const starting = Promise.all(
      Array.from({ length: 5 }, () => startInstance(database.url)),
    );
    try {
      for (let waiting = 0; waiting < 5;) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        const [{ count }] = await database.query<{ count: number }>(
          `SELECT count(*)::int AS count FROM pg_stat_activity
           WHERE datname = current_database() AND wait_event_type = 'Lock'`,
        );
        waiting = count;
      }
    } finally {
      await gate.query('ROLLBACK');
      await gate.end();
    }
    instances = await starting;

    const applied = await database.query<{ name: string }>(
      'SELECT name FROM "SequelizeMeta" ORDER BY name',
    );
    expect(applied.map((row) => row.name)).toEqual(MIGRATION_NAMES);
    expect(await database.query('SELECT id, balance FROM users')).toEqual([
      { id: 1, balance: 10_000 },
    ]);
    expect(await invariantViolations(database)).toEqual([]);
    for (const instance of instances) {
      expect(
        await send(instance.url, '/users/1', { method: 'GET' }),
      ).toMatchObject({
        status: 200,
        body: { id: 1, balance: 10_000 },
      });
    }
  });
});
