import request from 'supertest';
import { bootAppOnTestDatabase } from './utils/app';
import { expectLedgerConsistent } from './utils/invariants';

describe('the ledger', () => {
  const booted = bootAppOnTestDatabase();

  const post = (path: string, body: unknown) =>
    request(booted.app.getHttpServer())
      .post(path)
      .send(body as object);
  const createUser = async (balance?: number): Promise<number> => {
    const response = await post(
      '/users',
      balance === undefined ? {} : { balance },
    ).expect(201);
    return (response.body as { id: number }).id;
  };
  const transfer = (fromUserId: number, toUserId: number, amount: number) =>
    post('/transfers', { fromUserId, toUserId, amount });

  afterEach(() => expectLedgerConsistent(booted.database));

  describe('POST /users', () => {
    it('creates a user whose opening balance is its first entry', async () => {
      const response = await post('/users', { balance: 750 }).expect(201);
      const { id } = response.body as { id: number };
      expect(response.body).toEqual({
        id,
        balance: 750,
        available: 750,
        held: 0,
        version: 1,
      });
      await request(booted.app.getHttpServer())
        .get(`/users/${id}`)
        .expect(200, { id, balance: 750, available: 750, held: 0, version: 1 });
      const history = await request(booted.app.getHttpServer())
        .get(`/users/${id}/transactions`)
        .expect(200);
      expect(history.body).toEqual({
        items: [
          {
            id: expect.any(Number) as number,
            userId: id,
            amount: 750,
            balanceAfter: 750,
            type: 'opening',
            actor: 'anonymous',
            requestId: expect.any(String) as string,
            createdAt: expect.any(String) as string,
          },
        ],
        nextCursor: null,
      });
    });

    it('opens at 0 without a body', async () => {
      const response = await request(booted.app.getHttpServer())
        .post('/users')
        .expect(201);
      expect(response.body).toMatchObject({ balance: 0, version: 1 });
    });

    it.each([[-1], [1.5], ['10'], [null], [Number.MAX_SAFE_INTEGER + 1]])(
      'refuses an opening balance of %p and creates nothing',
      async (balance) => {
        const [{ count: before }] = await booted.database.query<{
          count: number;
        }>('SELECT count(*) FROM users');
        const response = await post('/users', { balance }).expect(400);
        expect(response.body).toMatchObject({ code: 'VALIDATION_FAILED' });
        expect(
          await booted.database.query('SELECT count(*) FROM users'),
        ).toEqual([{ count: before }]);
      },
    );
  });

  describe('POST /transfers', () => {
    it('moves money atomically, with two entries sharing the transfer id', async () => {
      const [alice, bob] = [await createUser(100), await createUser(5)];
      const response = await transfer(alice, bob, 30).expect(201);
      expect(response.body).toEqual({
        id: expect.any(Number) as number,
        fromUserId: alice,
        toUserId: bob,
        amount: 30,
        fromBalance: 70,
        toBalance: 35,
        actor: 'anonymous',
        requestId: expect.any(String) as string,
        createdAt: expect.any(String) as string,
      });
      const { id: transferId } = response.body as { id: number };
      expect(
        await booted.database.query(
          'SELECT user_id, amount, balance_after, type FROM balance_transactions WHERE transfer_id = $1 ORDER BY user_id',
          [transferId],
        ),
      ).toEqual([
        {
          user_id: alice,
          amount: -30,
          balance_after: 70,
          type: 'transfer_out',
        },
        { user_id: bob, amount: 30, balance_after: 35, type: 'transfer_in' },
      ]);
    });

    it('refuses a transfer the source cannot cover with 409, and moves nothing', async () => {
      const [alice, bob] = [await createUser(10), await createUser(0)];
      const response = await transfer(alice, bob, 11).expect(409);
      expect(response.body).toMatchObject({
        code: 'INSUFFICIENT_FUNDS',
        balance: 10,
      });
      expect(
        await booted.database.query(
          'SELECT count(*)::int AS count FROM transfers WHERE from_user_id = $1',
          [alice],
        ),
      ).toEqual([{ count: 0 }]);
    });

    it('refuses a credit past the limit with 422, and moves nothing', async () => {
      const [alice, bob] = [
        await createUser(10),
        await createUser(Number.MAX_SAFE_INTEGER - 1),
      ];
      await transfer(alice, bob, 2).expect(422);
      await request(booted.app.getHttpServer())
        .get(`/users/${alice}`)
        .expect(200, {
          id: alice,
          balance: 10,
          available: 10,
          held: 0,
          version: 1,
        });
    });

    it('answers 404 for an unknown user on either side', async () => {
      const alice = await createUser(10);
      expect(
        (await transfer(alice, 999_999, 1).expect(404)).body,
      ).toMatchObject({ code: 'USER_NOT_FOUND' });
      expect(
        (await transfer(999_998, alice, 1).expect(404)).body,
      ).toMatchObject({ code: 'USER_NOT_FOUND' });
    });

    it.each([
      [
        'to oneself',
        (user: number) => ({ fromUserId: user, toUserId: user, amount: 1 }),
      ],
      [
        'of zero',
        (user: number) => ({ fromUserId: user, toUserId: user + 1, amount: 0 }),
      ],
      [
        'of a negative amount',
        (user: number) => ({
          fromUserId: user,
          toUserId: user + 1,
          amount: -5,
        }),
      ],
      [
        'of a float',
        (user: number) => ({
          fromUserId: user,
          toUserId: user + 1,
          amount: 0.5,
        }),
      ],
      [
        'with a string id',
        (user: number) => ({
          fromUserId: String(user),
          toUserId: user + 1,
          amount: 1,
        }),
      ],
      ['without a target', (user: number) => ({ fromUserId: user, amount: 1 })],
    ])('refuses a transfer %s with 400', async (_, body) => {
      const user = await createUser(100);
      await createUser(0);
      expect(
        (await post('/transfers', body(user)).expect(400)).body,
      ).toMatchObject({ code: 'VALIDATION_FAILED' });
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

    it('never deadlocks: hundreds of transfers in opposite directions at once', async () => {
      const [alice, bob] = [await createUser(1_000), await createUser(1_000)];
      const responses = await Promise.all(
        Array.from({ length: 400 }, (_, i) =>
          i % 2 === 0 ? transfer(alice, bob, 7) : transfer(bob, alice, 5),
        ),
      );
      const statuses = responses.map((response) => response.status);
      expect(
        statuses.filter((status) => status !== 201 && status !== 409),
      ).toEqual([]);
      const balances = await expectLedgerConsistent(booted.database);
      const moved = responses.filter((response) => response.status === 201) as {
        body: { fromUserId: number; amount: number };
      }[];
      const net = moved.reduce(
        (sum, { body }) =>
          sum + (body.fromUserId === alice ? -body.amount : body.amount),
        0,
      );
      expect(balances.get(alice)).toBe(1_000 + net);
      expect(balances.get(bob)).toBe(1_000 - net);
    });
  });

  it('keeps every invariant under a concurrent mix of credits, debits and transfers', async () => {
    const users = [
      await createUser(500),
      await createUser(500),
      await createUser(500),
      await createUser(500),
    ];
    const [{ total: before }] = await booted.database.query<{ total: number }>(
      'SELECT sum(balance)::bigint AS total FROM users WHERE id = ANY($1)',
      [users],
    );
    const pick = (i: number, salt: number) =>
      users[(i * 7 + salt) % users.length];
    const operations = Array.from({ length: 600 }, (_, i) => {
      const amount = 1 + ((i * 37) % 150);
      switch (i % 3) {
        case 0:
          return post(`/users/${pick(i, 0)}/balance`, { amount }).then(
            (response) => ({ response, delta: amount }),
          );
        case 1:
          return post(`/users/${pick(i, 1)}/balance`, { amount: -amount }).then(
            (response) => ({ response, delta: -amount }),
          );
        default: {
          const from = pick(i, 2);
          const to = users[(users.indexOf(from) + 1 + (i % 3)) % users.length];
          return transfer(from, to, amount).then((response) => ({
            response,
            delta: 0,
          }));
        }
      }
    });
    const outcomes = await Promise.all(operations);
    expect(outcomes.filter(({ response }) => response.status >= 500)).toEqual(
      [],
    );
    const acknowledged = outcomes
      .filter(({ response }) => response.status < 300)
      .reduce((sum, { delta }) => sum + delta, 0);
    await expectLedgerConsistent(booted.database);
    const [{ total: after }] = await booted.database.query<{ total: number }>(
      'SELECT sum(balance)::bigint AS total FROM users WHERE id = ANY($1)',
      [users],
    );
    expect(after - before).toBe(acknowledged);
  });

  describe('GET /users/:id/transactions', () => {
    it('walks the whole history, newest first, with no gap or repeat while writes continue', async () => {
      const user = await createUser(1_000);
      for (let i = 0; i < 30; i++) {
        await post(`/users/${user}/balance`, { amount: -1 }).expect(200);
      }
      const seen: number[] = [];
      let cursor: string | null = null;
      let writes = 0;
      do {
        const page = await request(booted.app.getHttpServer())
          .get(`/users/${user}/transactions`)
          .query({ limit: 7, ...(cursor ? { cursor } : {}) })
          .expect(200);
        const body = page.body as {
          items: { id: number }[];
          nextCursor: string | null;
        };
        seen.push(...body.items.map((item) => item.id));
        cursor = body.nextCursor;
        // New entries land on top, and must not shift the pages still to read.
        await post(`/users/${user}/balance`, { amount: 1 }).expect(200);
        writes++;
      } while (cursor);
      const all = await booted.database.query<{ id: number }>(
        'SELECT id FROM balance_transactions WHERE user_id = $1 ORDER BY id DESC',
        [user],
      );
      expect(seen).toEqual(all.slice(writes).map((entry) => entry.id));
      expect(seen).toHaveLength(31);
    });

    it.each([
      ['limit=0', { limit: '0' }],
      ['limit=101', { limit: '101' }],
      ['limit=abc', { limit: 'abc' }],
      ['limit=1e1', { limit: '1e1' }],
      ['a forged cursor', { cursor: 'LTE' }],
      ['a malformed cursor', { cursor: '!!' }],
      ['an unknown parameter', { offset: '5' }],
    ])('refuses %s with 400', async (_, query) => {
      const response = await request(booted.app.getHttpServer())
        .get('/users/1/transactions')
        .query(query)
        .expect(400);
      expect(response.body).toMatchObject({ code: 'VALIDATION_FAILED' });
    });

    it('answers 404 for an unknown user', async () => {
      await request(booted.app.getHttpServer())
        .get('/users/999999/transactions')
        .expect(404);
    });
  });

  it('refuses to rewrite history: entries can be neither updated nor deleted', async () => {
    await expect(
      booted.database.query('UPDATE balance_transactions SET amount = amount'),
    ).rejects.toThrow(/append-only/);
    await expect(
      booted.database.query('DELETE FROM balance_transactions'),
    ).rejects.toThrow(/append-only/);
  });
});
