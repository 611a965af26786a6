import { Client } from 'pg';
import request from 'supertest';
import { bootAppOnTestDatabase } from './utils/app';
import { expectLedgerConsistent } from './utils/invariants';

describe('POST /users/:id/balance', () => {
  const booted = bootAppOnTestDatabase();

  const balanceOf = async (id: number) =>
    (
      await booted.database.query<{ balance: number }>(
        'SELECT balance FROM users WHERE id = $1',
        [id],
      )
    )[0]?.balance;
  /** A fresh user for each test, its opening balance recorded in the ledger. */
  const createUser = async (balance: number): Promise<number> => {
    const response = await request(booted.app.getHttpServer())
      .post('/users')
      .send({ balance })
      .expect(201);
    return (response.body as { id: number }).id;
  };
  let userId: number;
  const change = (id: number | string, body: unknown) =>
    request(booted.app.getHttpServer())
      .post(`/users/${id}/balance`)
      .set('content-type', 'application/json')
      .send(JSON.stringify(body));

  beforeEach(async () => {
    userId = await createUser(10_000);
  });

  afterEach(() => expectLedgerConsistent(booted.database));

  it('seeds user 1 with a balance of 10000, recorded as its opening entry', async () => {
    expect(
      await booted.database.query('SELECT id, balance FROM users WHERE id = 1'),
    ).toEqual([{ id: 1, balance: 10_000 }]);
    expect(
      await booted.database.query(
        'SELECT amount, balance_after, type FROM balance_transactions WHERE user_id = 1',
      ),
    ).toEqual([{ amount: 10_000, balance_after: 10_000, type: 'opening' }]);
  });

  it('credits a positive amount', async () => {
    const response = await change(userId, { amount: 250 }).expect(200);
    expect(response.body).toMatchObject({ userId, balance: 10_250 });
    expect(await balanceOf(userId)).toBe(10_250);
  });

  it('debits a negative amount', async () => {
    const response = await change(userId, { amount: -2 }).expect(200);
    expect(response.body).toMatchObject({ userId, balance: 9_998 });
    expect(await balanceOf(userId)).toBe(9_998);
  });

  it('debits to exactly zero', async () => {
    const response = await change(userId, { amount: -10_000 }).expect(200);
    expect(response.body).toMatchObject({ userId, balance: 0 });
    expect(await balanceOf(userId)).toBe(0);
  });

  it('grows the version by one with every change', async () => {
    const before = (
      await request(booted.app.getHttpServer())
        .get(`/users/${userId}`)
        .expect(200)
    ).body as { version: number };
    await change(userId, { amount: -1 }).expect(200);
    await change(userId, { amount: 1 }).expect(200);
    const after = (
      await request(booted.app.getHttpServer())
        .get(`/users/${userId}`)
        .expect(200)
    ).body as { version: number };
    expect(after.version).toBe(before.version + 2);
  });

  it('refuses a debit that would make the balance negative, and changes nothing', async () => {
    const response = await change(userId, { amount: -10_001 }).expect(409);
    expect(response.body).toEqual({
      statusCode: 409,
      error: 'Conflict',
      code: 'INSUFFICIENT_FUNDS',
      message: expect.any(String) as string,
      balance: 10_000,
      available: 10_000,
    });
    expect(await balanceOf(userId)).toBe(10_000);
  });

  it('refuses a debit the committed balance cannot cover without waiting for the row lock; a covered one waits', async () => {
    // Another session holds the user's row lock, as a hot user's lock holders do.
    const holder = new Client({ connectionString: booted.database.url });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT FROM users WHERE id = $1 FOR UPDATE', [
        userId,
      ]);
      let released = false;
      const covered = change(userId, { amount: -10_000 }).then((response) => {
        expect(released).toBe(true);
        return response;
      });
      let timer: NodeJS.Timeout | undefined;
      const refused = await Promise.race([
        change(userId, { amount: -10_001 }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error('the refusal waited for the row lock')),
            5_000,
          );
        }),
      ]).finally(() => clearTimeout(timer));
      expect(refused.status).toBe(409);
      expect(refused.body).toMatchObject({
        code: 'INSUFFICIENT_FUNDS',
        balance: 10_000,
        available: 10_000,
      });
      // The covered debit is still waiting for the lock, and is checked again under it.
      released = true;
      await holder.query('COMMIT');
      expect((await covered).status).toBe(200);
    } finally {
      await holder.end();
    }
    expect(await balanceOf(userId)).toBe(0);
  });

  it('refuses a credit past Number.MAX_SAFE_INTEGER with 422', async () => {
    userId = await createUser(Number.MAX_SAFE_INTEGER - 5);
    const response = await change(userId, { amount: 6 }).expect(422);
    expect(response.body).toMatchObject({ code: 'BALANCE_LIMIT_EXCEEDED' });
    expect(await balanceOf(userId)).toBe(Number.MAX_SAFE_INTEGER - 5);
    await change(userId, { amount: 5 }).expect(200);
    expect(await balanceOf(userId)).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('answers 404 USER_NOT_FOUND for a user that does not exist', async () => {
    const response = await change(999_999, { amount: 5 }).expect(404);
    expect(response.body).toMatchObject({
      statusCode: 404,
      code: 'USER_NOT_FOUND',
    });
    expect(
      await booted.database.query(
        'SELECT id FROM balance_transactions WHERE user_id = 999999',
      ),
    ).toEqual([]);
  });

  describe('refuses every malformed request with 400 VALIDATION_FAILED and changes nothing', () => {
    const badAmounts: [string, string][] = [
      ['a string', '{"amount":"5"}'],
      ['a numeric string', '{"amount":"-2"}'],
      ['a float', '{"amount":1.5}'],
      ['a boolean', '{"amount":true}'],
      ['null', '{"amount":null}'],
      ['an array', '{"amount":[-2]}'],
      ['an object', '{"amount":{"value":-2}}'],
      ['zero', '{"amount":0}'],
      ['minus zero', '{"amount":-0}'],
      ['a huge number', '{"amount":1e300}'],
      ['an unsafe integer', '{"amount":9007199254740992}'],
      ['an unsafe negative integer', '{"amount":-9007199254740992}'],
      ['a missing amount', '{}'],
      ['an unknown field', '{"amount":-2,"admin":true}'],
      ['a __proto__ key', '{"amount":-2,"__proto__":{"x":1}}'],
      ['a constructor key', '{"amount":-2,"constructor":1}'],
      ['no body', ''],
      ['malformed JSON', '{"amount":'],
      ['a JSON string', '"amount"'],
      ['a JSON number', '-2'],
      ['a JSON null', 'null'],
      ['a JSON array', '[{"amount":-2}]'],
    ];

    it.each(badAmounts)('%s', async (_, body) => {
      const response = await request(booted.app.getHttpServer())
        .post(`/users/${userId}/balance`)
        .set('content-type', 'application/json')
        .send(body)
        .expect(400);
      expect(response.body).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        code: 'VALIDATION_FAILED',
        message: expect.any(String) as string,
      });
      expect(await balanceOf(userId)).toBe(10_000);
    });

    it.each([
      '0',
      '-1',
      '1.5',
      '01',
      'abc',
      '1e3',
      '2147483648',
      '99999999999999999999',
      '%20',
      '0x1',
    ])('an id of %p', async (id) => {
      const response = await change(id, { amount: -2 }).expect(400);
      expect(response.body).toMatchObject({ code: 'VALIDATION_FAILED' });
      expect(await balanceOf(userId)).toBe(10_000);
    });
  });

  it('refuses a body that is not JSON with 415 and changes nothing', async () => {
    for (const contentType of [
      'text/plain',
      'application/x-www-form-urlencoded',
    ]) {
      const response = await request(booted.app.getHttpServer())
        .post(`/users/${userId}/balance`)
        .set('content-type', contentType)
        .send('amount=-2')
        .expect(415);
      expect(response.body).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE' });
    }
    expect(await balanceOf(userId)).toBe(10_000);
  });

  it('refuses an oversized body with 413 and changes nothing', async () => {
    const response = await change(userId, {
      amount: -2,
      padding: 'x'.repeat(8192),
    }).expect(413);
    expect(response.body).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    expect(await balanceOf(userId)).toBe(10_000);
  });

  it('answers unknown routes with 404 NOT_FOUND', async () => {
    const response = await request(booted.app.getHttpServer())
      .post('/users/1/balances')
      .expect(404);
    expect(response.body).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('refuses SQL sent as the amount with 400 VALIDATION_FAILED, and changes nothing', async () => {
    const response = await change(userId, {
      amount: '; DROP TABLE users; --',
    }).expect(400);
    expect(response.body).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      code: 'VALIDATION_FAILED',
      message: expect.any(String) as string,
    });
    expect(JSON.stringify(response.body)).not.toMatch(
      /SELECT|DROP|at \w+ \(|node_modules|sequelize/i,
    );
    expect(await balanceOf(userId)).toBe(10_000);
  });

  it('never leaks internals when PostgreSQL fails a change: 500 INTERNAL_ERROR, nothing of the error', async () => {
    // A valid debit that PostgreSQL refuses: a constraint of the test's own, which the service
    // knows nothing of, on the ledger entries of this user alone.
    await booted.database.query(
      `ALTER TABLE balance_transactions ADD CONSTRAINT leak_probe
       CHECK (user_id <> ${userId}) NOT VALID`,
    );
    try {
      const response = await change(userId, { amount: -2 }).expect(500);
      expect(response.body).toEqual({
        statusCode: 500,
        error: 'Internal Server Error',
        code: 'INTERNAL_ERROR',
        message: expect.any(String) as string,
      });
      expect(JSON.stringify(response.body)).not.toMatch(
        /SELECT|ledger|leak_probe|balance_transactions|violates|constraint|at \w+ \(|node_modules|sequelize/i,
      );
    } finally {
      await booted.database.query(
        'ALTER TABLE balance_transactions DROP CONSTRAINT leak_probe',
      );
    }
    expect(await balanceOf(userId)).toBe(10_000);
  });
});

describe('GET /users/:id', () => {
  const booted = bootAppOnTestDatabase();

  it('returns the user', async () => {
    await request(booted.app.getHttpServer()).get('/users/1').expect(200, {
      id: 1,
      balance: 10_000,
      available: 10_000,
      held: 0,
      version: 1,
    });
  });

  it('answers 404 for an unknown user and 400 for a malformed id', async () => {
    await request(booted.app.getHttpServer()).get('/users/7').expect(404);
    await request(booted.app.getHttpServer()).get('/users/x').expect(400);
  });
});
