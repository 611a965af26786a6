import { fireBurst } from './utils/burst';
import { type Instance, startInstance } from './utils/instance';
import {
  hasPgBouncer,
  type PgBouncer,
  startPgBouncer,
} from './utils/pgbouncer';
import { createTestDatabase, type TestDatabase } from './utils/test-database';

// A machine without PgBouncer skips this locally; CI installs it and must run it.
const describeWithPgBouncer =
  hasPgBouncer() || process.env.CI ? describe : describe.skip;

describeWithPgBouncer(
  'two instances through PgBouncer in transaction mode',
  () => {
    let database: TestDatabase;
    let bouncer: PgBouncer;
    let instances: Instance[] = [];

    beforeAll(async () => {
      database = await createTestDatabase();
      // Fewer server connections than the two pools hold: the pooler must multiplex them.
      bouncer = await startPgBouncer(database.url, 4);
      const env = {
        DATABASE_URL: bouncer.url(database.name),
        // Migrations hold a session advisory lock, which needs a direct session.
        DATABASE_MIGRATION_URL: database.url,
        DB_POOL_MAX: '10',
      };
      instances = await Promise.all(
        [1, 2].map(() => startInstance(env.DATABASE_URL, env)),
      );
    });

    afterAll(async () => {
      await Promise.all(instances.map((instance) => instance.stop()));
      await bouncer?.stop();
      await database?.drop();
    });

    it('applies exactly the debits the balance covers, and refuses the rest', async () => {
      const burst = await fireBurst(
        instances.map((instance) => instance.url),
        '/users/1/balance',
        { amount: -2 },
        6000,
      );
      expect(burst.counts).toEqual({
        '200': 5000,
        '409 INSUFFICIENT_FUNDS': 1000,
      });
      const balances = burst.outcomes
        .filter((outcome) => outcome.status === 200)
        .map((outcome) => outcome.body.balance as number)
        .sort((a, b) => a - b);
      expect(balances).toEqual(Array.from({ length: 5000 }, (_, i) => i * 2));
      expect(await database.query('SELECT id, balance FROM users')).toEqual([
        { id: 1, balance: 0 },
      ]);
      // The debits went through the pooler: one transaction each, at least.
      const stats = await bouncer.show('STATS');
      const ours = stats.find((row) => row.database === database.name);
      expect(Number(ours?.total_xact_count)).toBeGreaterThanOrEqual(6000);
    });
  },
);
