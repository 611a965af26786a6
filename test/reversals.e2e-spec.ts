import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import type { App } from 'supertest/types';
import { bootApp, bootAppOnTestDatabase } from './utils/app';
import { expectLedgerConsistent } from './utils/invariants';
import { createTestDatabase, type TestDatabase } from './utils/test-database';

interface EntryBody {
  id: number;
  userId: number;
  amount: number;
  balanceAfter: number;
  type: string;
  reversalOf?: number;
  transferId?: number;
  holdId?: number;
  actor: string | null;
  requestId: string | null;
  createdAt: string;
}

interface TransferBody {
  id: number;
  fromUserId: number;
  toUserId: number;
  amount: number;
  fromBalance: number;
  toBalance: number;
  reversalOf?: number;
}

const anyNumber = expect.any(Number) as number;
const anyString = expect.any(String) as string;

/** The app's helpers over supertest. */
function client(app: () => INestApplication<App>) {
  const http = () => request(app().getHttpServer());
  return {
    http,
    post: (path: string, body?: object, headers: Record<string, string> = {}) =>
      (body === undefined
        ? http().post(path)
        : http().post(path).send(body)
      ).set(headers),
    createUser: async (balance: number): Promise<number> =>
      (
        (await http().post('/users').send({ balance }).expect(201)).body as {
          id: number;
        }
      ).id,
    change: async (userId: number, amount: number): Promise<EntryBody['id']> =>
      (
        (
          await http()
            .post(`/users/${userId}/balance`)
            .send({ amount })
            .expect(200)
        ).body as { transactionId: number }
      ).transactionId,
    balanceOf: async (userId: number): Promise<number> =>
      (
        (await http().get(`/users/${userId}`).expect(200)).body as {
          balance: number;
        }
      ).balance,
  };
}

describe('reversals', () => {
  const booted = bootAppOnTestDatabase();
  const { http, post, createUser, change, balanceOf } = client(
    () => booted.app,
  );

  afterEach(() => expectLedgerConsistent(booted.database));

  it('documents the routes and their codes in the OpenAPI document', async () => {
    const document = (await http().get('/docs-json').expect(200)).body as {
      paths: Record<string, Record<string, { responses: object }>>;
      components: {
        schemas: Record<string, { properties: { code: { enum: string[] } } }>;
      };
    };
    for (const [path, method] of [
      ['/transactions/{id}', 'get'],
      ['/transactions/{id}/reverse', 'post'],
      ['/transfers/{id}/reverse', 'post'],
      ['/users/{id}/balance', 'get'],
    ]) {
      expect(document.paths[path]?.[method]).toBeDefined();
    }
    expect(
      Object.keys(document.paths['/transactions/{id}/reverse'].post.responses),
    ).toEqual(expect.arrayContaining(['201', '400', '404', '409', '422']));
    expect(
      document.components.schemas.ErrorBodySchema.properties.code.enum,
    ).toEqual(
      expect.arrayContaining([
        'ALREADY_REVERSED',
        'NOT_REVERSIBLE',
        'TRANSACTION_NOT_FOUND',
        'TRANSFER_NOT_FOUND',
      ]),
    );
  });

  describe('GET /transactions/:id', () => {
    it('answers a balance transaction, with who made it', async () => {
      const userId = await createUser(100);
      const response = await http()
        .post(`/users/${userId}/balance`)
        .set('X-Request-Id', 'get-one-1')
        .send({ amount: 5, reference: 'order-7' })
        .expect(200);
      const { transactionId } = response.body as { transactionId: number };
      await http()
        .get(`/transactions/${transactionId}`)
        .expect(200, {
          id: transactionId,
          userId,
          amount: 5,
          balanceAfter: 105,
          type: 'credit',
          reference: 'order-7',
          actor: 'anonymous',
          requestId: 'get-one-1',
          createdAt: (
            await booted.database.query<{ at: Date }>(
              'SELECT created_at AS at FROM balance_transactions WHERE id = $1',
              [transactionId],
            )
          )[0].at.toISOString(),
        });
    });

    it('answers 404 TRANSACTION_NOT_FOUND and 400 for a malformed id', async () => {
      const missing = await http()
        .get(`/transactions/${Number.MAX_SAFE_INTEGER}`)
        .expect(404);
      expect(missing.body).toMatchObject({ code: 'TRANSACTION_NOT_FOUND' });
      for (const id of ['0', '-1', '1.5', 'abc', '9007199254740992']) {
        const response = await http().get(`/transactions/${id}`).expect(400);
        expect(response.body).toMatchObject({ code: 'VALIDATION_FAILED' });
      }
    });
  });

  describe('POST /transactions/:id/reverse', () => {
    it('reverses a credit: 201 a reversal of the opposite amount, and the balance back', async () => {
      const userId = await createUser(100);
      const credit = await change(userId, 40);
      const response = await post(
        `/transactions/${credit}/reverse`,
        { reference: 'refund-40', description: 'charged twice' },
        { 'X-Request-Id': 'reverse-1' },
      ).expect(201);
      expect(response.body).toEqual({
        id: anyNumber,
        userId,
        amount: -40,
        balanceAfter: 100,
        type: 'reversal',
        reversalOf: credit,
        reference: 'refund-40',
        description: 'charged twice',
        actor: 'anonymous',
        requestId: 'reverse-1',
        createdAt: anyString,
      });
      await http()
        .get(`/transactions/${(response.body as EntryBody).id}`)
        .expect(200, response.body as object);
      expect(await balanceOf(userId)).toBe(100);
    });

    it('reverses a debit, without a body', async () => {
      const userId = await createUser(100);
      const debit = await change(userId, -60);
      const response = await post(`/transactions/${debit}/reverse`).expect(201);
      expect(response.body).toMatchObject({
        amount: 60,
        balanceAfter: 100,
        type: 'reversal',
        reversalOf: debit,
      });
    });

    it('reverses a capture by crediting it back; the hold stays captured', async () => {
      const userId = await createUser(100);
      const hold = (
        await post(`/users/${userId}/holds`, { amount: 30 }).expect(201)
      ).body as { id: number };
      const captured = (await post(`/holds/${hold.id}/capture`, {}).expect(200))
        .body as { transactionId: number };
      const response = await post(
        `/transactions/${captured.transactionId}/reverse`,
        {},
      ).expect(201);
      expect(response.body).toMatchObject({ amount: 30, balanceAfter: 100 });
      expect(response.body).not.toHaveProperty('holdId');
      await http()
        .get(`/holds/${hold.id}`)
        .expect(200)
        .expect(({ body }) =>
          expect(body).toMatchObject({
            status: 'captured',
            capturedAmount: 30,
          }),
        );
    });

    it('answers a second reversal 409 ALREADY_REVERSED with the reversal, changing nothing', async () => {
      const userId = await createUser(100);
      const credit = await change(userId, 10);
      const first = (
        await post(`/transactions/${credit}/reverse`, {}).expect(201)
      ).body as EntryBody;
      const second = await post(`/transactions/${credit}/reverse`, {}).expect(
        409,
      );
      expect(second.body).toEqual({
        statusCode: 409,
        error: 'Conflict',
        code: 'ALREADY_REVERSED',
        message: `Balance transaction ${credit} was already reversed by ${first.id}`,
        reversalId: first.id,
      });
      expect(await balanceOf(userId)).toBe(100);
    });

    it('answers 422 NOT_REVERSIBLE for an opening, a reversal and a side of a transfer', async () => {
      const from = await createUser(100);
      const to = await createUser(0);
      const [opening] = await booted.database.query<{ id: number }>(
        "SELECT id FROM balance_transactions WHERE user_id = $1 AND type = 'opening'",
        [from],
      );
      const credit = await change(from, 5);
      const reversal = (
        await post(`/transactions/${credit}/reverse`, {}).expect(201)
      ).body as EntryBody;
      const transfer = (
        await post('/transfers', {
          fromUserId: from,
          toUserId: to,
          amount: 20,
        }).expect(201)
      ).body as TransferBody;
      const sides = await booted.database.query<{ id: number }>(
        'SELECT id FROM balance_transactions WHERE transfer_id = $1',
        [transfer.id],
      );
      for (const id of [opening.id, reversal.id, ...sides.map((s) => s.id)]) {
        const response = await post(`/transactions/${id}/reverse`, {}).expect(
          422,
        );
        expect(response.body).toMatchObject({ code: 'NOT_REVERSIBLE' });
      }
      expect(await balanceOf(from)).toBe(80);
    });

    it('answers 409 INSUFFICIENT_FUNDS with balance and available when the credit is no longer available', async () => {
      const userId = await createUser(0);
      const credit = await change(userId, 50);
      await post(`/users/${userId}/holds`, { amount: 20 }).expect(201);
      const response = await post(`/transactions/${credit}/reverse`, {}).expect(
        409,
      );
      expect(response.body).toMatchObject({
        code: 'INSUFFICIENT_FUNDS',
        balance: 50,
        available: 30,
      });
      expect(await balanceOf(userId)).toBe(50);
    });

    it('answers 404 and 400 for what is not a reversal request', async () => {
      const missing = await post(
        `/transactions/${Number.MAX_SAFE_INTEGER}/reverse`,
        {},
      ).expect(404);
      expect(missing.body).toMatchObject({ code: 'TRANSACTION_NOT_FOUND' });
      const userId = await createUser(10);
      const credit = await change(userId, 1);
      for (const body of [
        { amount: 1 },
        { reference: '' },
        { reference: 7 },
        { description: 'a\u0000b' },
        { reference: null },
      ]) {
        const response = await post(
          `/transactions/${credit}/reverse`,
          body,
        ).expect(400);
        expect(response.body).toMatchObject({ code: 'VALIDATION_FAILED' });
      }
      const notJson = await http()
        .post(`/transactions/${credit}/reverse`)
        .set('Content-Type', 'text/plain')
        .send('reverse it')
        .expect(415);
      expect(notJson.body).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE' });
      expect(await balanceOf(userId)).toBe(11);
    });

    it('replays a reversal under the same Idempotency-Key: one reversal, the same answer', async () => {
      const userId = await createUser(100);
      const credit = await change(userId, 10);
      const headers = { 'Idempotency-Key': `reverse-${credit}` };
      const first = await post(
        `/transactions/${credit}/reverse`,
        {},
        headers,
      ).expect(201);
      const again = await post(
        `/transactions/${credit}/reverse`,
        {},
        headers,
      ).expect(201);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.body).toEqual(first.body);
      expect(await balanceOf(userId)).toBe(100);
    });
  });

  describe('POST /transfers/:id/reverse', () => {
    it('moves the amount back as a transfer the other way: 201, both sides reversing the original sides', async () => {
      const from = await createUser(100);
      const to = await createUser(0);
      const transfer = (
        await post('/transfers', {
          fromUserId: from,
          toUserId: to,
          amount: 30,
        }).expect(201)
      ).body as TransferBody;
      const response = await post(`/transfers/${transfer.id}/reverse`, {
        reference: 'chargeback-1',
      }).expect(201);
      expect(response.body).toEqual({
        id: anyNumber,
        fromUserId: to,
        toUserId: from,
        amount: 30,
        fromBalance: 0,
        toBalance: 100,
        reversalOf: transfer.id,
        reference: 'chargeback-1',
        actor: 'anonymous',
        requestId: anyString,
        createdAt: anyString,
      });
      const entries = (
        await http().get(`/users/${to}/transactions`).expect(200)
      ).body as { items: EntryBody[] };
      const [back, there] = entries.items;
      expect(back).toMatchObject({
        type: 'transfer_out',
        amount: -30,
        transferId: (response.body as TransferBody).id,
        reversalOf: there.id,
      });
      expect(await balanceOf(from)).toBe(100);
      expect(await balanceOf(to)).toBe(0);
    });

    it('answers 409 ALREADY_REVERSED, 422 NOT_REVERSIBLE for a reversal, 404 TRANSFER_NOT_FOUND, 409 INSUFFICIENT_FUNDS', async () => {
      const from = await createUser(100);
      const to = await createUser(0);
      const transfer = (
        await post('/transfers', {
          fromUserId: from,
          toUserId: to,
          amount: 30,
        }).expect(201)
      ).body as TransferBody;
      const reversal = (
        await post(`/transfers/${transfer.id}/reverse`, {}).expect(201)
      ).body as TransferBody;
      const again = await post(`/transfers/${transfer.id}/reverse`, {}).expect(
        409,
      );
      expect(again.body).toMatchObject({
        code: 'ALREADY_REVERSED',
        reversalId: reversal.id,
      });
      const ofReversal = await post(
        `/transfers/${reversal.id}/reverse`,
        {},
      ).expect(422);
      expect(ofReversal.body).toMatchObject({ code: 'NOT_REVERSIBLE' });
      const missing = await post(
        `/transfers/${Number.MAX_SAFE_INTEGER}/reverse`,
        {},
      ).expect(404);
      expect(missing.body).toMatchObject({ code: 'TRANSFER_NOT_FOUND' });
      const spent = (
        await post('/transfers', {
          fromUserId: from,
          toUserId: to,
          amount: 30,
        }).expect(201)
      ).body as TransferBody;
      await change(to, -25);
      const short = await post(`/transfers/${spent.id}/reverse`, {}).expect(
        409,
      );
      expect(short.body).toMatchObject({
        code: 'INSUFFICIENT_FUNDS',
        balance: 5,
        available: 5,
      });
      expect(await balanceOf(from)).toBe(70);
      expect(await balanceOf(to)).toBe(5);
    });
  });
});

/**
 * The contract's race: two instances (two apps in this process, each with its own pool, on one
 * database) reversing the same entries and transfers at the same moment.
 */
describe('reversals racing from two instances', () => {
  const ENTRIES = 20;
  /** Requests per entry, split between the two instances. */
  const RACERS = 4;

  let database: TestDatabase;
  let apps: INestApplication<App>[];

  beforeAll(async () => {
    database = await createTestDatabase();
    apps = [await bootApp(database.url), await bootApp(database.url)];
  });

  afterAll(async () => {
    await Promise.all((apps ?? []).map((app) => app.close()));
    await database?.drop();
  });

  const totalMoney = async () =>
    (
      await database.query<{ total: number }>(
        'SELECT sum(balance)::bigint AS total FROM users',
      )
    )[0].total;

  it('reverses each balance transaction exactly once: one 201, the rest 409 ALREADY_REVERSED', async () => {
    const { createUser, change, balanceOf } = client(() => apps[0]);
    const users = await Promise.all(
      Array.from({ length: 4 }, () => createUser(1_000)),
    );
    const entries = await Promise.all(
      Array.from({ length: ENTRIES }, (_, i) =>
        change(users[i % users.length], i % 2 === 0 ? 10 + i : -(10 + i)),
      ),
    );
    const before = await totalMoney();
    const answers = await Promise.all(
      entries.flatMap((id) =>
        Array.from({ length: RACERS }, (_, racer) =>
          request(apps[racer % 2].getHttpServer())
            .post(`/transactions/${id}/reverse`)
            .send({})
            .then((response) => ({
              id,
              status: response.status,
              body: response.body as { code?: string; reversalId?: number },
            })),
        ),
      ),
    );
    for (const id of entries) {
      const mine = answers.filter((answer) => answer.id === id);
      const applied = mine.filter((answer) => answer.status === 201);
      expect(applied).toHaveLength(1);
      const reversalId = (applied[0].body as unknown as EntryBody).id;
      expect(mine.filter((answer) => answer.status === 409)).toEqual(
        Array.from({ length: RACERS - 1 }, () => ({
          id,
          status: 409,
          body: expect.objectContaining({
            code: 'ALREADY_REVERSED',
            reversalId,
          }) as object,
        })),
      );
    }
    const reversals = await database.query<{ count: number }>(
      "SELECT count(*)::int AS count FROM balance_transactions WHERE type = 'reversal'",
    );
    expect(reversals[0].count).toBe(ENTRIES);
    // Every change was undone once: each user is back at its opening balance.
    for (const userId of users) {
      expect(await balanceOf(userId)).toBe(1_000);
    }
    expect(await totalMoney()).toBe(before - (await netOf(entries)));
    await expectLedgerConsistent(database);
  });

  it('reverses each transfer exactly once, both sides or neither', async () => {
    const { createUser, post, balanceOf } = client(() => apps[1]);
    const users = await Promise.all(
      Array.from({ length: 4 }, () => createUser(1_000)),
    );
    const transfers: number[] = [];
    for (let i = 0; i < ENTRIES; i++) {
      const transfer = (
        await post('/transfers', {
          fromUserId: users[i % users.length],
          toUserId: users[(i + 1) % users.length],
          amount: 5 + i,
        }).expect(201)
      ).body as TransferBody;
      transfers.push(transfer.id);
    }
    const before = await totalMoney();
    const answers = await Promise.all(
      transfers.flatMap((id) =>
        Array.from({ length: RACERS }, (_, racer) =>
          request(apps[racer % 2].getHttpServer())
            .post(`/transfers/${id}/reverse`)
            .send({})
            .then((response) => ({
              id,
              status: response.status,
              code: (response.body as { code?: string }).code,
            })),
        ),
      ),
    );
    for (const id of transfers) {
      const mine = answers.filter((answer) => answer.id === id);
      expect(mine.map((answer) => answer.status).sort()).toEqual([
        201,
        ...Array.from({ length: RACERS - 1 }, () => 409),
      ]);
      expect(
        mine.filter((answer) => answer.status === 409).map((a) => a.code),
      ).toEqual(Array.from({ length: RACERS - 1 }, () => 'ALREADY_REVERSED'));
    }
    const [{ count }] = await database.query<{ count: number }>(
      'SELECT count(*)::int AS count FROM transfers WHERE reversal_of IS NOT NULL',
    );
    expect(count).toBe(ENTRIES);
    for (const userId of users) {
      expect(await balanceOf(userId)).toBe(1_000);
    }
    expect(await totalMoney()).toBe(before);
    await expectLedgerConsistent(database);
  });

  /** What the entries added to the total, which their reversals take away. */
  async function netOf(entries: number[]): Promise<number> {
    const [{ net }] = await database.query<{ net: number }>(
      'SELECT sum(amount)::bigint AS net FROM balance_transactions WHERE id = ANY ($1)',
      [entries],
    );
    return net;
  }
});
