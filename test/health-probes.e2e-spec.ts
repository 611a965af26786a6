import { Client } from 'pg';
import { PROBE_APPLICATION_NAME } from '../src/health/database-probe';
import type { Outcome } from './utils/burst';
import { send } from './utils/client';
import { bootApp, listen } from './utils/app';
import {
  createTestDatabase,
  databaseAt,
  type TestDatabase,
} from './utils/test-database';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const get = (url: string, path: string) =>
  send(url, path, { method: 'GET', timeoutMs: 10_000 });

/** Asks `/health` until `done` holds (a terminated session is noticed within a check or two). */
async function healthUntil(
  url: string,
  done: (outcome: Outcome) => boolean,
): Promise<Outcome> {
  let outcome = await get(url, '/health');
  for (const started = Date.now(); !done(outcome);) {
    if (Date.now() - started > 10_000) return outcome;
    await sleep(100);
    outcome = await get(url, '/health');
  }
  return outcome;
}

describe('the health probes of a running app', () => {
  let database: TestDatabase;
  let app: Awaited<ReturnType<typeof bootApp>>;
  let url: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    app = await bootApp(database.url, { environment: { DB_POOL_MAX: '2' } });
    url = await listen(app);
  });

  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  it('both answer 200 within a second while every pooled connection is busy and requests queue for one', async () => {
    // The test holds user 1's row lock: both pooled connections block behind it in a debit,
    // and the other debits wait for a pooled connection.
    const holder = new Client({ connectionString: database.url });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT * FROM users WHERE id = 1 FOR UPDATE');
      const debits = Promise.all(
        Array.from({ length: 40 }, () =>
          send(url, '/users/1/balance', { body: { amount: -1 } }),
        ),
      );
      const blocked = async () =>
        (
          await database.query<{ count: number }>(
            `SELECT count(*)::int AS count FROM pg_stat_activity
             WHERE datname = current_database() AND wait_event_type = 'Lock'`,
          )
        )[0].count;
      while ((await blocked()) < 2) await sleep(50);

      const [ready, live] = await Promise.all([
        get(url, '/health'),
        get(url, '/health/live'),
      ]);
      expect(ready.status).toBe(200);
      expect(ready.latencyMs).toBeLessThan(1_000);
      expect(live.status).toBe(200);
      expect(live.latencyMs).toBeLessThan(1_000);
      // Still saturated when they answered: nothing was let through.
      expect(await blocked()).toBe(2);

      await holder.query('COMMIT');
      const outcomes = await debits;
      expect(outcomes.map((outcome) => outcome.status)).toEqual(
        outcomes.map(() => 200),
      );
    } finally {
      await holder.end();
    }
  });

  it('/health answers 503 while PostgreSQL takes no writes, /health/live 200, and /health 200 again once it does', async () => {
    // From another database: once read-only, this one could not be set back.
    const server = new URL(database.url);
    server.pathname = '/postgres';
    const admin = databaseAt(server.toString());
    const probeSession = () =>
      admin.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1',
        [PROBE_APPLICATION_NAME],
      );
    // As a standby promoted nowhere, or a primary set read-only: new sessions cannot write.
    await admin.query(
      `ALTER DATABASE ${database.name} SET default_transaction_read_only = on`,
    );
    try {
      await probeSession();
      const readOnly = await healthUntil(
        url,
        (outcome) =>
          outcome.status === 503 &&
          /read-only/.test(String(outcome.body.reason)),
      );
      expect(readOnly.status).toBe(503);
      expect(readOnly.body).toMatchObject({
        code: 'SERVICE_UNAVAILABLE',
        reason: 'PostgreSQL is read-only: it takes no writes',
      });
      expect((await get(url, '/health/live')).status).toBe(200);
    } finally {
      await admin.query(
        `ALTER DATABASE ${database.name} RESET default_transaction_read_only`,
      );
    }
    await probeSession();
    const writable = await healthUntil(
      url,
      (outcome) => outcome.status === 200,
    );
    expect(writable.status).toBe(200);
  });
});
