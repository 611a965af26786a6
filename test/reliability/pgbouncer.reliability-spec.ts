import { setTimeout as sleep } from 'node:timers/promises';
import { fireBurst } from '../utils/burst';
import { send } from '../utils/client';
import { expectDrainedByDebitsOfTwo } from '../utils/invariants';
import { type Instance, startInstance } from '../utils/instance';
import {
  hasPgBouncer,
  type PgBouncer,
  startPgBouncer,
} from '../utils/pgbouncer';
import { createTestDatabase, type TestDatabase } from '../utils/test-database';

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
      await expectDrainedByDebitsOfTwo(burst, database, 5000);
      // The debits went through the pooler: one transaction each, at least.
      const stats = await bouncer.show('STATS');
      const ours = stats.find((row) => row.database === database.name);
      expect(Number(ours?.total_xact_count)).toBeGreaterThanOrEqual(6000);
    });

    it('serves the change feed through the pooler: every debit once, and a long poll on one instance answers a credit made through the other', async () => {
      interface FeedPage {
        items: { type: string; userId: number }[];
        nextCursor: string;
      }
      const page = async (query: string, timeoutMs?: number) =>
        (
          await send(instances[0].url, `/events?${query}`, {
            method: 'GET',
            timeoutMs,
          })
        ).body as unknown as FeedPage;
      const types: string[] = [];
      let cursor = '';
      for (let read = await page('limit=1000'); ;) {
        types.push(...read.items.map((event) => event.type));
        if (read.items.length === 0) break;
        cursor = read.nextCursor;
        read = await page(`limit=1000&after=${cursor}`);
      }
      expect(types.filter((type) => type === 'debit')).toHaveLength(5000);
      expect(types.filter((type) => type === 'opening')).toHaveLength(1);

      // LISTEN runs on the direct connection (DATABASE_MIGRATION_URL), not through the pooler.
      const waiting = page(`after=${cursor}&waitSeconds=20`, 30_000);
      await sleep(500);
      const credited = Date.now();
      const credit = await send(instances[1].url, '/users/1/balance', {
        body: { amount: 5 },
      });
      expect(credit.status).toBe(200);
      const answer = await waiting;
      expect(answer.items.map((event) => event.type)).toEqual(['credit']);
      expect(Date.now() - credited).toBeLessThan(2_000);
    });
  },
);
