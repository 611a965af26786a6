import { readdirSync } from 'node:fs';
import request from 'supertest';
import { MIGRATIONS_DIR } from '../src/database/migrator';
import { bootApp } from './utils/app';
import { createTestDatabase, type TestDatabase } from './utils/test-database';

/** Every migration in the directory, by the name the migrator records. */
const MIGRATION_NAMES = readdirSync(MIGRATIONS_DIR)
  .filter((file) => file.endsWith('.sql'))
  .map((file) => file.replace(/\.sql$/, ''))
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

  it('migrates once and seeds once when three apps start at the same moment', async () => {
    const apps = await Promise.all([1, 2, 3].map(() => bootApp(database.url)));
    try {
      expect(await appliedMigrations()).toEqual(MIGRATION_NAMES);
      expect(await database.query('SELECT id, balance FROM users')).toEqual([
        { id: 1, balance: 10_000 },
      ]);
      for (const app of apps) {
        await request(app.getHttpServer()).get('/users/1').expect(200);
      }
    } finally {
      await Promise.all(apps.map((app) => app.close()));
    }
  });

  it('keeps the user and its balance across a restart, without re-running migrations', async () => {
    const first = await bootApp(database.url);
    try {
      await request(first.getHttpServer())
        .post('/users/1/balance')
        .send({ amount: -42 })
        .expect(200);
    } finally {
      await first.close();
    }
    const [{ migrated_at: migratedAt }] = await database.query<{
      migrated_at: Date;
    }>('SELECT xmin::text AS migrated_at FROM "SequelizeMeta" LIMIT 1');

    const second = await bootApp(database.url);
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
      await second.close();
    }
  });
});
