import { connect } from 'node:net';
import { Client } from 'pg';
import type { Outcome } from '../utils/burst';
import { send } from '../utils/client';
import { type Instance, startInstance } from '../utils/instance';
import { invariantViolations } from '../utils/invariants';
import { createTestDatabase, type TestDatabase } from '../utils/test-database';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const debit = (instance: Instance, amount = 1) =>
  send(instance.url, '/users/1/balance', { body: { amount: -amount } });

const balance = async (database: TestDatabase) =>
  (
    await database.query<{ balance: number }>(
      'SELECT balance FROM users WHERE id = 1',
    )
  )[0].balance;

/** A POST whose body arrives one byte every `gapMs`; resolves with the status line's code. */
function slowPost(
  instance: Instance,
  body: string,
  gapMs: number,
): Promise<number> {
  const { hostname, port } = new URL(instance.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('end', () => resolve(Number(answer.split(' ')[1])));
    socket.on('error', reject);
    socket.on('connect', () => {
      socket.write(
        `POST /users/1/balance HTTP/1.1\r\nHost: ${hostname}\r\n` +
          `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n` +
          'Connection: close\r\n\r\n',
      );
      let sent = 0;
      const timer = setInterval(() => {
        socket.write(body[sent++]);
        if (sent === body.length) clearInterval(timer);
      }, gapMs);
    });
  });
}

describe('a pool of two connections', () => {
  let database: TestDatabase;

  beforeEach(async () => {
    database = await createTestDatabase();
  });

  afterEach(async () => {
    await database?.drop();
  });

  it('serves many more concurrent requests than connections without an error', async () => {
    const instance = await startInstance(database.url, { DB_POOL_MAX: '2' });
    try {
      const outcomes = await Promise.all(
        Array.from({ length: 500 }, () => debit(instance)),
      );
      expect(new Set(outcomes.map((outcome) => outcome.status))).toEqual(
        new Set([200]),
      );
      expect(await balance(database)).toBe(10_000 - 500);
    } finally {
      await instance.stop();
    }
  });

  it('answers 503 SERVICE_UNAVAILABLE only once the documented wait for a connection has passed', async () => {
    const acquireMs = 1_000;
    const instance = await startInstance(database.url, {
      DB_POOL_MAX: '2',
      DB_POOL_ACQUIRE_TIMEOUT_MS: String(acquireMs),
    });
    // The test holds user 1's row lock: the two pooled connections block behind it, and every
    // other request waits for one of them.
    const holder = new Client({ connectionString: database.url });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT * FROM users WHERE id = 1 FOR UPDATE');
      const pending = Promise.all(
        Array.from({ length: 40 }, () => debit(instance)),
      );
      await sleep(acquireMs * 2);
      await holder.query('COMMIT');
      const outcomes: Outcome[] = await pending;

      const refused = outcomes.filter((outcome) => outcome.status === 503);
      const applied = outcomes.filter((outcome) => outcome.status === 200);
      expect(refused.length + applied.length).toBe(outcomes.length);
      expect(applied.length).toBe(2);
      for (const outcome of refused) {
        expect(outcome.body.code).toBe('SERVICE_UNAVAILABLE');
        expect(outcome.latencyMs).toBeGreaterThanOrEqual(acquireMs - 50);
        expect(outcome.latencyMs).toBeLessThan(acquireMs + 1_000);
      }
      expect(await balance(database)).toBe(10_000 - applied.length);
      // And it serves normally again.
      expect((await debit(instance)).status).toBe(200);
    } finally {
      await holder.end();
      await instance.stop();
    }
  });

  it('lets a request wait its turn at a row lock held past the 10 s query bound, and serves it', async () => {
    const instance = await startInstance(database.url, { DB_POOL_MAX: '2' });
    // As the hot row's lock queue is under a burst on a busy machine: held for 12 s.
    const holder = new Client({ connectionString: database.url });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT * FROM users WHERE id = 1 FOR UPDATE');
      const pending = Promise.all([debit(instance), debit(instance)]);
      await sleep(12_000);
      await holder.query('COMMIT');
      const outcomes = await pending;
      expect(outcomes.map((outcome) => outcome.status)).toEqual([200, 200]);
      for (const outcome of outcomes) {
        expect(outcome.latencyMs).toBeGreaterThan(11_900);
      }
      expect(await balance(database)).toBe(10_000 - 2);
    } finally {
      await holder.end();
      await instance.stop();
    }
  }, 60_000);

  it('holds no connection while a client is still sending its body', async () => {
    const instance = await startInstance(database.url, { DB_POOL_MAX: '2' });
    try {
      const body = JSON.stringify({ amount: -1 });
      // Ten times as many slow clients as connections, each taking ~1.3 s to send its body.
      const slow = Promise.all(
        Array.from({ length: 20 }, () => slowPost(instance, body, 100)),
      );
      await sleep(300);
      const started = performance.now();
      const fast = await Promise.all(
        Array.from({ length: 20 }, () => debit(instance)),
      );
      const fastMs = performance.now() - started;
      const inTransaction = await database.query(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'",
      );

      expect(fast.map((outcome) => outcome.status)).toEqual(
        Array.from({ length: 20 }, () => 200),
      );
      // Served while every slow client is still mid-body.
      expect(fastMs).toBeLessThan(800);
      expect(inTransaction).toEqual([]);
      expect(await slow).toEqual(Array.from({ length: 20 }, () => 200));
      expect(await balance(database)).toBe(10_000 - 40);
      expect(await invariantViolations(database)).toEqual([]);
    } finally {
      await instance.stop();
    }
  });
});
