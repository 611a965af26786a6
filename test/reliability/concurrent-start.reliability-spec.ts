import { readdirSync } from 'node:fs';
import { MIGRATIONS_DIR } from '../../src/database/migrator';
import { send } from '../utils/client';
import { type Instance, startInstance } from '../utils/instance';
import { invariantViolations } from '../utils/invariants';
import { createTestDatabase, type TestDatabase } from '../utils/test-database';

const MIGRATION_NAMES = readdirSync(MIGRATIONS_DIR)
  .filter((file) => file.endsWith('.up.sql'))
  .map((file) => file.replace(/\.up\.sql$/, ''))
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
    instances = await Promise.all(
      Array.from({ length: 5 }, () => startInstance(database.url)),
    );

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
