import type { INestApplication } from '@nestjs/common';
import { Client } from 'pg';
import request from 'supertest';
import type { App } from 'supertest/types';
import { bootAppOnTestDatabase, withAppLoadedAfresh } from './utils/app';
import { expectLedgerConsistent } from './utils/invariants';
import { moneyRequests, moneyRoutesOf } from './utils/money-requests';
import { createTestDatabase, type TestDatabase } from './utils/test-database';

/** How long a request waits for a key claimed by a request in flight: the claim's lock_timeout. */
const KEY_WAIT = '5s';

describe('Idempotency-Key', () => {
  const booted = bootAppOnTestDatabase();
  let keys = 0;
  const newKey = () => `key-${process.pid}-${++keys}`;

  const post = (path: string, body: object, key?: string) => {
    const pending = request(booted.app.getHttpServer()).post(path).send(body);
    return key === undefined ? pending : pending.set('Idempotency-Key', key);
  };
  const createUser = async (balance: number): Promise<number> =>
    ((await post('/users', { balance }).expect(201)).body as { id: number }).id;
  const entriesOf = async (userId: number) =>
    (
      await booted.database.query<{ count: number }>(
        'SELECT count(*)::int AS count FROM balance_transactions WHERE user_id = $1',
        [userId],
      )
    )[0].count;

  afterEach(() => expectLedgerConsistent(booted.database));

  /**
   * Runs `test` with the key's wait shortened to `wait` in this file's database, so that a test
   * outlasts the wait in a fraction of its 5 s; the wait is the claim function's own setting,
   * restored after.
   */
  const withKeyWait = async (wait: string, test: () => Promise<void>) => {
    const configOfClaim = () =>
      booted.database.query<{ config: string[] }>(
        "SELECT proconfig AS config FROM pg_proc WHERE proname = 'idempotency_claim'",
      );
    expect(await configOfClaim()).toEqual([
      { config: [`lock_timeout=${KEY_WAIT}`] },
    ]);
    await booted.database.query(
      `ALTER FUNCTION idempotency_claim SET lock_timeout = '${wait}'`,
    );
    try {
      await test();
    } finally {
      await booted.database.query(
        `ALTER FUNCTION idempotency_claim SET lock_timeout = '${KEY_WAIT}'`,
      );
    }
  };
  /** Resolves once `count` sessions of the database wait for a lock. */
  const lockWaiters = async (count: number) => {
    for (;;) {
      const [{ waiting }] = await booted.database.query<{ waiting: number }>(
        `SELECT count(*)::int AS waiting FROM pg_stat_activity
         WHERE datname = current_database() AND wait_event_type = 'Lock'`,
      );
      if (waiting >= count) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };

  it('applies a change once when the same key is fired 50 times at once, and answers all 50 alike', async () => {
    const user = await createUser(1_000);
    const key = newKey();
    const responses = await Promise.all(
      Array.from({ length: 50 }, () =>
        post(`/users/${user}/balance`, { amount: -7 }, key),
      ),
    );
    expect(responses.map((response) => response.status)).toEqual(
      Array(50).fill(200),
    );
    const bodies = new Set(
      responses.map((response) => JSON.stringify(response.body)),
    );
    expect(bodies.size).toBe(1);
    expect(
      responses.filter(
        (response) => response.headers['idempotent-replayed'] === 'true',
      ),
    ).toHaveLength(49);
    expect(await entriesOf(user)).toBe(2);
    await request(booted.app.getHttpServer())
      .get(`/users/${user}`)
      .expect(200, {
        id: user,
        balance: 993,
        available: 993,
        held: 0,
        version: 2,
      });
  });

  it('replays transfers and user creation with their 201 and the same body', async () => {
    const [alice, bob] = [await createUser(50), await createUser(0)];
    const key = newKey();
    const first = await post(
      '/transfers',
      { fromUserId: alice, toUserId: bob, amount: 20 },
      key,
    ).expect(201);
    const again = await post(
      '/transfers',
      { amount: 20, toUserId: bob, fromUserId: alice },
      key,
    ).expect(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(await entriesOf(alice)).toBe(2);

    const userKey = newKey();
    const created = await post('/users', { balance: 5 }, userKey).expect(201);
    const replayed = await post('/users', { balance: 5 }, userKey).expect(201);
    expect(replayed.body).toEqual(created.body);
    expect(
      await booted.database.query(
        'SELECT count(*)::int AS count FROM users WHERE balance = 5',
      ),
    ).toEqual([{ count: 1 }]);
  });

  it('refuses the same key with another body, path or method with 422, changing nothing', async () => {
    const user = await createUser(100);
    const key = newKey();
    await post(`/users/${user}/balance`, { amount: -1 }, key).expect(200);
    for (const [path, body] of [
      [`/users/${user}/balance`, { amount: -2 }],
      [`/users/${user}/balance`, { amount: 1 }],
      ['/users', { balance: 1 }],
    ] as const) {
      const response = await post(path, body, key).expect(422);
      expect(response.body).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED' });
    }
    await request(booted.app.getHttpServer())
      .get(`/users/${user}`)
      .expect(200, {
        id: user,
        balance: 99,
        available: 99,
        held: 0,
        version: 2,
      });
  });

  it('does not remember a refused request: a debit retried with its key after a top-up succeeds', async () => {
    const user = await createUser(10);
    const key = newKey();
    const refused = await post(
      `/users/${user}/balance`,
      { amount: -25 },
      key,
    ).expect(409);
    expect(refused.body).toMatchObject({
      code: 'INSUFFICIENT_FUNDS',
      balance: 10,
    });
    await post(`/users/${user}/balance`, { amount: 20 }).expect(200);
    const retried = await post(
      `/users/${user}/balance`,
      { amount: -25 },
      key,
    ).expect(200);
    expect(retried.headers['idempotent-replayed']).toBeUndefined();
    expect(retried.body).toMatchObject({ balance: 5 });
    const replayed = await post(
      `/users/${user}/balance`,
      { amount: -25 },
      key,
    ).expect(200);
    expect(replayed.body).toEqual(retried.body);
  });

  it('answers 409 IDEMPOTENCY_KEY_IN_USE when the key stays held past the wait, changing nothing', async () => {
    const user = await createUser(100);
    const key = newKey();
    // Another session claims the key and never finishes: as a request stuck in flight would.
    const holder = new Client({ connectionString: booted.database.url });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query(
        "INSERT INTO idempotency_keys (key, fingerprint) VALUES ($1, 'x')",
        [key],
      );
      await withKeyWait('300ms', async () => {
        const response = await post(
          `/users/${user}/balance`,
          { amount: -1 },
          key,
        ).expect(409);
        expect(response.body).toMatchObject({
          code: 'IDEMPOTENCY_KEY_IN_USE',
        });
      });
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
    }
    await request(booted.app.getHttpServer())
      .get(`/users/${user}`)
      .expect(200, {
        id: user,
        balance: 100,
        available: 100,
        held: 0,
        version: 1,
      });
  });

  it("waits behind a row lock held past the key's wait and succeeds, as a request without a key does", async () => {
    const user = await createUser(100);
    // Another session holds the user's row lock for twice the key's own wait once both
    // requests wait for it: the key's bound must not apply to the row locks after the claim.
    const holder = new Client({ connectionString: booted.database.url });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT FROM users WHERE id = $1 FOR UPDATE', [user]);
      await withKeyWait('300ms', async () => {
        const both = Promise.all([
          post(`/users/${user}/balance`, { amount: -1 }, newKey()),
          post(`/users/${user}/balance`, { amount: -2 }),
        ]);
        await lockWaiters(2);
        const waited = performance.now();
        await new Promise((resolve) => setTimeout(resolve, 600));
        await holder.query('COMMIT');
        const [keyed, unkeyed] = await both;
        expect([keyed.status, unkeyed.status]).toEqual([200, 200]);
        expect(performance.now() - waited).toBeGreaterThan(600);
      });
    } finally {
      await holder.end();
    }
    await request(booted.app.getHttpServer())
      .get(`/users/${user}`)
      .expect(200, {
        id: user,
        balance: 97,
        available: 97,
        held: 0,
        version: 3,
      });
  });

  it('keeps a key 24 hours, then lets a new request take it over', async () => {
    const user = await createUser(100);
    const key = newKey();
    await post(`/users/${user}/balance`, { amount: -1 }, key).expect(200);
    // The clock moved forward for this key: its creation is moved back by as much.
    const age = (interval: string) =>
      booted.database.query(
        'UPDATE idempotency_keys SET created_at = created_at - $2::interval WHERE key = $1',
        [key, interval],
      );
    await age('23 hours 59 minutes');
    const kept = await post(`/users/${user}/balance`, { amount: -2 }, key);
    expect(kept.status).toBe(422);
    expect(kept.body).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED' });
    await age('2 minutes');
    const taken = await post(`/users/${user}/balance`, { amount: -2 }, key);
    expect(taken.status).toBe(200);
    expect(taken.headers['idempotent-replayed']).toBeUndefined();
    expect(taken.body).toMatchObject({ balance: 97 });
  });

  const MONEY_REQUESTS = moneyRequests(async (path, body) => {
    const answer = await post(path, body);
    return { status: answer.status, body: answer.body as unknown };
  });

  it("replays every route that takes an Idempotency-Key: the list below is the API document's", async () => {
    const document = (
      await request(booted.app.getHttpServer()).get('/docs-json').expect(200)
    ).body as unknown;
    expect(Object.keys(MONEY_REQUESTS).sort()).toEqual(
      moneyRoutesOf(document).sort(),
    );
  });

  it.each(Object.keys(MONEY_REQUESTS))(
    'replays %s byte for byte: status, type and body',
    async (route) => {
      const [path, body] = await MONEY_REQUESTS[route]();
      const key = newKey();
      const first = await post(path, body, key);
      const again = await post(path, body, key);
      expect(first.status).toBeLessThan(300);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(first.headers['idempotent-replayed']).toBeUndefined();
      expect({
        status: again.status,
        type: again.headers['content-type'],
        text: again.text,
      }).toEqual({
        status: first.status,
        type: first.headers['content-type'],
        text: first.text,
      });
    },
  );

  it.each([
    ['empty', ''],
    ['too long', 'k'.repeat(256)],
    ['not ASCII', 'cl\u00e9'],
  ])('refuses a key that is %s with 400, changing nothing', async (_, key) => {
    const user = await createUser(10);
    const response = await post(`/users/${user}/balance`, { amount: -1 }, key);
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ code: 'VALIDATION_FAILED' });
    await request(booted.app.getHttpServer())
      .get(`/users/${user}`)
      .expect(200, {
        id: user,
        balance: 10,
        available: 10,
        held: 0,
        version: 1,
      });
  });

  it('accepts a key of 255 printable characters', async () => {
    const user = await createUser(10);
    await post(
      `/users/${user}/balance`,
      { amount: -1 },
      '~'.repeat(255),
    ).expect(200);
  });
});

describe('Idempotency-Key across a restart', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase();
  });

  afterAll(async () => {
    await database?.drop();
  });

  it('replays the stored response from an app loaded afresh, without changing money twice', async () => {
    const key = `restart-${process.pid}`;
    const debit = (app: INestApplication<App>) =>
      request(app.getHttpServer())
        .post('/users/1/balance')
        .set('Idempotency-Key', key)
        .send({ amount: -300 });
    const applied = await withAppLoadedAfresh(database.url, debit);
    expect(applied.status).toBe(200);

    // Nothing the first app held in memory, its modules' state included, reaches the second.
    const replayed = await withAppLoadedAfresh(database.url, debit);
    expect(replayed.status).toBe(200);
    expect(replayed.headers['idempotent-replayed']).toBe('true');
    expect(replayed.body).toEqual(applied.body);
    expect(
      await database.query('SELECT balance FROM users WHERE id = 1'),
    ).toEqual([{ balance: 9_700 }]);
  });
});

describe('Idempotency-Key per caller', () => {
  const booted = bootAppOnTestDatabase({
    environment: { API_KEYS: 'alice-key,bob-key' },
  });

  const debit = (apiKey: string, key: string) =>
    request(booted.app.getHttpServer())
      .post('/users/1/balance')
      .set('authorization', `Bearer ${apiKey}`)
      .set('Idempotency-Key', key)
      .send({ amount: -5 });

  it('names two requests when two API keys send the same key value: two changes, no replay across', async () => {
    const key = `shared-${process.pid}`;
    const alice = await debit('alice-key', key);
    const bob = await debit('bob-key', key);
    expect([alice.status, bob.status]).toEqual([200, 200]);
    expect(bob.headers['idempotent-replayed']).toBeUndefined();
    expect((bob.body as { balance: number }).balance).toBe(
      (alice.body as { balance: number }).balance - 5,
    );
    const aliceAgain = await debit('alice-key', key);
    expect(aliceAgain.headers['idempotent-replayed']).toBe('true');
    expect(aliceAgain.body).toEqual(alice.body);
    expect(
      await booted.database.query('SELECT balance FROM users WHERE id = 1'),
    ).toEqual([{ balance: 9_990 }]);
    // Neither API key is stored: only a digest of it, as the key's scope.
    const scopes = await booted.database.query<{ scope: string }>(
      'SELECT scope FROM idempotency_keys WHERE key = $1 ORDER BY scope',
      [key],
    );
    expect(scopes).toHaveLength(2);
    for (const { scope } of scopes) {
      expect(scope).toMatch(/^[0-9a-f]{64}$/);
    }
  });
});
