import type { INestApplication } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Test } from '@nestjs/testing';
import { createHash } from 'node:crypto';
import { Client } from 'pg';
import request from 'supertest';
import type { App } from 'supertest/types';
import { AppModule } from '../src/app.module';
import { APP_OPTIONS, setUpApp } from '../src/app.setup';
import type { Environment } from '../src/config/environment';
import { DatabaseServer } from '../src/database/database-server';
import { ApiKeyMiddleware } from '../src/security/api-key.middleware';
import { bootAppOnTestDatabase } from './utils/app';
import { expectLedgerConsistent } from './utils/invariants';
import { createTestDatabase, type TestDatabase } from './utils/test-database';

const CHECKOUT = 'checkout-secret';
const UNNAMED = 'unnamed-secret';
/** How an unnamed key is named: never by its secret. */
const UNNAMED_ACTOR = `key-${createHash('sha256').update(UNNAMED).digest('hex').slice(0, 8)}`;

/** The real AppModule in this process, as `bootApp` boots it, with `API_KEYS` set. */
async function bootAppWithApiKeys(
  databaseUrl: string,
  apiKeys: string,
): Promise<INestApplication<App>> {
  const config = { get: () => apiKeys } as unknown as ConfigService<
    Environment,
    true
  >;
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] })
    .overrideProvider(DatabaseServer)
    .useValue(new DatabaseServer(databaseUrl))
    .overrideProvider(ApiKeyMiddleware)
    .useValue(new ApiKeyMiddleware(config))
    .compile();
  const app =
    moduleRef.createNestApplication<INestApplication<App>>(APP_OPTIONS);
  app.useLogger(['error']);
  setUpApp(app);
  await app.init();
  return app;
}

interface Attributed {
  actor: string | null;
  requestId: string | null;
}

describe('who did what, with named API keys', () => {
  let database: TestDatabase;
  let app: INestApplication<App>;

  beforeAll(async () => {
    database = await createTestDatabase();
    app = await bootAppWithApiKeys(
      database.url,
      `checkout=${CHECKOUT},${UNNAMED},support=support-secret`,
    );
  });

  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  afterEach(() => expectLedgerConsistent(database));

  /** A request as the holder of `secret`, with `requestId` as its X-Request-Id. */
  const as = (secret: string, requestId?: string) => {
    const headers: Record<string, string> = {
      authorization: `Bearer ${secret}`,
      ...(requestId === undefined ? {} : { 'X-Request-Id': requestId }),
    };
    return {
      get: (path: string) =>
        request(app.getHttpServer()).get(path).set(headers),
      post: (path: string, body: object = {}, extra = {}) =>
        request(app.getHttpServer())
          .post(path)
          .set({ ...headers, ...extra })
          .send(body),
    };
  };

  const createUser = async (balance: number): Promise<number> =>
    (
      (await as(CHECKOUT).post('/users', { balance }).expect(201)).body as {
        id: number;
      }
    ).id;

  it('records the key name and the request id on every balance transaction, and returns them', async () => {
    const userId = await createUser(100);
    const change = await as(CHECKOUT, 'req-change-1')
      .post(`/users/${userId}/balance`, { amount: -5 })
      .expect(200);
    expect(change.body).toMatchObject({
      actor: 'checkout',
      requestId: 'req-change-1',
    });
    const { transactionId } = change.body as { transactionId: number };
    const entry = await as(UNNAMED)
      .get(`/transactions/${transactionId}`)
      .expect(200);
    expect(entry.body).toMatchObject({
      actor: 'checkout',
      requestId: 'req-change-1',
    });
    const [row] = await database.query<{ actor: string; request_id: string }>(
      'SELECT actor, request_id FROM balance_transactions WHERE id = $1',
      [transactionId],
    );
    expect(row).toEqual({ actor: 'checkout', request_id: 'req-change-1' });
  });

  it('names a key given without a name by a short digest of it, never the secret', async () => {
    const userId = await createUser(100);
    const response = await as(UNNAMED)
      .post(`/users/${userId}/balance`, { amount: 1 })
      .expect(200);
    expect((response.body as Attributed).actor).toBe(UNNAMED_ACTOR);
    expect(JSON.stringify(response.body)).not.toContain(UNNAMED);
  });

  it('records an id for a request without X-Request-Id: the one its response carries', async () => {
    const userId = await createUser(100);
    const response = await as(CHECKOUT)
      .post(`/users/${userId}/balance`, { amount: 1 })
      .expect(200);
    expect((response.body as Attributed).requestId).toBe(
      response.headers['x-request-id'],
    );
    expect(response.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('records who made transfers, holds, captures and reversals', async () => {
    const from = await createUser(100);
    const to = await createUser(0);
    const transfer = await as('support-secret', 'req-transfer')
      .post('/transfers', { fromUserId: from, toUserId: to, amount: 10 })
      .expect(201);
    expect(transfer.body).toMatchObject({
      actor: 'support',
      requestId: 'req-transfer',
    });
    const sides = await database.query<{ actor: string; request_id: string }>(
      'SELECT DISTINCT actor, request_id FROM balance_transactions WHERE transfer_id = $1',
      [(transfer.body as { id: number }).id],
    );
    expect(sides).toEqual([{ actor: 'support', request_id: 'req-transfer' }]);

    const hold = await as(CHECKOUT, 'req-hold')
      .post(`/users/${from}/holds`, { amount: 20 })
      .expect(201);
    expect(hold.body).toMatchObject({
      actor: 'checkout',
      requestId: 'req-hold',
    });
    const holdId = (hold.body as { id: number }).id;
    const captured = await as('support-secret', 'req-capture')
      .post(`/holds/${holdId}/capture`)
      .expect(200);
    // The hold keeps who placed it; its capture records who captured it.
    expect(captured.body).toMatchObject({
      actor: 'checkout',
      requestId: 'req-hold',
    });
    const capture = await as(CHECKOUT)
      .get(
        `/transactions/${(captured.body as { transactionId: number }).transactionId}`,
      )
      .expect(200);
    expect(capture.body).toMatchObject({
      type: 'capture',
      actor: 'support',
      requestId: 'req-capture',
    });
    await as(CHECKOUT)
      .get(`/holds/${holdId}`)
      .expect(200)
      .expect(({ body }) =>
        expect(body).toMatchObject({
          actor: 'checkout',
          requestId: 'req-hold',
        }),
      );

    const reversal = await as(UNNAMED, 'req-reverse')
      .post(`/transfers/${(transfer.body as { id: number }).id}/reverse`)
      .expect(201);
    expect(reversal.body).toMatchObject({
      actor: UNNAMED_ACTOR,
      requestId: 'req-reverse',
    });
  });

  it("lists a user's entries made by one actor, newest first", async () => {
    const userId = await createUser(100);
    for (const [secret, amount] of [
      [CHECKOUT, 1],
      ['support-secret', 2],
      [CHECKOUT, 3],
    ] as const) {
      await as(secret).post(`/users/${userId}/balance`, { amount }).expect(200);
    }
    const page = await as(UNNAMED)
      .get(`/users/${userId}/transactions?actor=checkout`)
      .expect(200);
    expect(
      (page.body as { items: { amount: number; actor: string }[] }).items.map(
        ({ amount, actor }) => ({ amount, actor }),
      ),
    ).toEqual([
      { amount: 3, actor: 'checkout' },
      { amount: 1, actor: 'checkout' },
      // The opening, made by POST /users with the checkout key.
      { amount: 100, actor: 'checkout' },
    ]);
    const nobody = await as(UNNAMED)
      .get(`/users/${userId}/transactions?actor=nobody`)
      .expect(200);
    expect(nobody.body).toEqual({ items: [], nextCursor: null });
    for (const actor of ['', 'a b', 'x'.repeat(65), 'é']) {
      const refused = await as(UNNAMED)
        .get(`/users/${userId}/transactions?actor=${encodeURIComponent(actor)}`)
        .expect(400);
      expect(refused.body).toMatchObject({ code: 'VALIDATION_FAILED' });
    }
  });

  it('filters by actor through its index', async () => {
    // On a table this small a sequential scan is cheaper: with it off, the plan shows that the
    // index serves the query.
    const client = new Client({ connectionString: database.url });
    await client.connect();
    try {
      await client.query('SET enable_seqscan = off');
      const { rows } = await client.query(
        `EXPLAIN (FORMAT JSON) SELECT id FROM balance_transactions
         WHERE user_id = 1 AND actor = 'checkout' ORDER BY id DESC LIMIT 51`,
      );
      expect(JSON.stringify(rows)).toMatch(
        /balance_transactions_user_id_actor_id/,
      );
    } finally {
      await client.end();
    }
  });

  it('keeps the first request’s actor and request id on a replay, whoever replays it', async () => {
    const userId = await createUser(100);
    const key = { 'Idempotency-Key': `replay-${userId}` };
    const first = await as(CHECKOUT, 'req-first')
      .post(`/users/${userId}/balance`, { amount: -7 }, key)
      .expect(200);
    const replay = await as(CHECKOUT, 'req-second')
      .post(`/users/${userId}/balance`, { amount: -7 }, key)
      .expect(200);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body).toEqual(first.body);
    expect(replay.body).toMatchObject({
      actor: 'checkout',
      requestId: 'req-first',
    });
    const entries = await database.query<{ request_id: string }>(
      "SELECT request_id FROM balance_transactions WHERE user_id = $1 AND type = 'debit'",
      [userId],
    );
    expect(entries).toEqual([{ request_id: 'req-first' }]);
  });
});

describe('who did what, without API keys', () => {
  const booted = bootAppOnTestDatabase();

  it('records `anonymous`, and the seed as made by the service', async () => {
    const response = await request(booted.app.getHttpServer())
      .post('/users/1/balance')
      .set('X-Request-Id', 'open-1')
      .send({ amount: 1 })
      .expect(200);
    expect(response.body).toMatchObject({
      actor: 'anonymous',
      requestId: 'open-1',
    });
    const page = await request(booted.app.getHttpServer())
      .get('/users/1/transactions')
      .expect(200);
    expect(
      (page.body as { items: Attributed[] }).items.map(
        ({ actor, requestId }) => ({ actor, requestId }),
      ),
    ).toEqual([
      { actor: 'anonymous', requestId: 'open-1' },
      { actor: 'seed', requestId: null },
    ]);
  });
});
