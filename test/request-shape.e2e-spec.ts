import request from 'supertest';
import { bootAppOnTestDatabase } from './utils/app';
import { expectLedgerConsistent } from './utils/invariants';

/** Every member of Object.prototype: class-transformer drops keys with these names. */
const PROTOTYPE_KEYS = Object.getOwnPropertyNames(Object.prototype);

describe('what a request may look like', () => {
  const booted = bootAppOnTestDatabase();

  const server = () => booted.app.getHttpServer();
  const users = () =>
    booted.database.query('SELECT id, balance, version FROM users ORDER BY id');
  const createUser = async (balance: number): Promise<number> =>
    (
      (await request(server()).post('/users').send({ balance }).expect(201))
        .body as { id: number }
    ).id;

  afterEach(() => expectLedgerConsistent(booted.database));

  describe('a body is application/json in UTF-8, or it is refused with 415', () => {
    const refusedTypes = [
      'application/merge-patch+json',
      'application/problem+json',
      'application/vnd.foo+json',
      'application/json-patch+json',
      'application/json; charset=utf-16',
      'application/json; charset=latin1',
      'text/json',
    ];

    it.each(refusedTypes)(
      'refuses a new user sent as %s, and creates nothing',
      async (type) => {
        const before = await users();
        const response = await request(server())
          .post('/users')
          .set('content-type', type)
          .send('{"balance":500}')
          .expect(415);
        expect(response.body).toEqual({
          statusCode: 415,
          error: 'Unsupported Media Type',
          code: 'UNSUPPORTED_MEDIA_TYPE',
          message: expect.any(String) as string,
        });
        expect(await users()).toEqual(before);
      },
    );

    it.each(refusedTypes)(
      'refuses a change sent as %s, and changes nothing',
      async (type) => {
        const userId = await createUser(1_000);
        const before = await users();
        await request(server())
          .post(`/users/${userId}/balance`)
          .set('content-type', type)
          .send('[{"op":"replace","path":"/amount","value":-2}]')
          .expect(415);
        expect(await users()).toEqual(before);
      },
    );

    it('refuses invalid JSON and a body over the limit under a +json type with 415, not 400 or 413', async () => {
      await request(server())
        .post('/users')
        .set('content-type', 'application/problem+json')
        .send('{"balance":')
        .expect(415);
      await request(server())
        .post('/users')
        .set('content-type', 'application/vnd.foo+json')
        .send(`{"balance":1,"padding":"${'x'.repeat(2 * 1024 * 1024)}"}`)
        .expect(415);
    });

    it.each([
      'application/json',
      'application/json; charset=utf-8',
      'application/json; charset=UTF-8',
      'Application/JSON',
    ])('reads a body sent as %s', async (type) => {
      const response = await request(server())
        .post('/users')
        .set('content-type', type)
        .send('{"balance":500}')
        .expect(201);
      expect(response.body).toMatchObject({ balance: 500, version: 1 });
    });
  });

  describe('refuses every unknown key with 400, whatever its name', () => {
    const expectRefused = (response: request.Response, key: string) =>
      expect(response.body).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        code: 'VALIDATION_FAILED',
        message: `property ${key} should not exist`,
      });

    it.each(PROTOTYPE_KEYS)('in the body of a change: %s', async (key) => {
      const userId = await createUser(1_000);
      const before = await users();
      const response = await request(server())
        .post(`/users/${userId}/balance`)
        .set('content-type', 'application/json')
        .send(`{"amount":1,${JSON.stringify(key)}:1}`)
        .expect(400);
      expectRefused(response, key);
      expect(await users()).toEqual(before);
    });

    it.each(PROTOTYPE_KEYS)('in the body of a new user: %s', async (key) => {
      const before = await users();
      const response = await request(server())
        .post('/users')
        .set('content-type', 'application/json')
        .send(`{"balance":5,${JSON.stringify(key)}:1}`)
        .expect(400);
      expectRefused(response, key);
      expect(await users()).toEqual(before);
    });

    it.each(PROTOTYPE_KEYS)('in the body of a transfer: %s', async (key) => {
      const [from, to] = [await createUser(100), await createUser(0)];
      const before = await users();
      const response = await request(server())
        .post('/transfers')
        .set('content-type', 'application/json')
        .send(
          `{"fromUserId":${from},"toUserId":${to},"amount":1,${JSON.stringify(key)}:1}`,
        )
        .expect(400);
      expectRefused(response, key);
      expect(await users()).toEqual(before);
    });

    it.each([...PROTOTYPE_KEYS, 'admin'])(
      'in the query of a history: %s',
      async (key) => {
        const response = await request(server())
          .get(`/users/1/transactions?limit=1&${key}=x`)
          .expect(400);
        expectRefused(response, key);
      },
    );
  });

  describe('users.version', () => {
    it('keeps counting past 2^31 - 1 changes of one user', async () => {
      const [alice, bob] = [await createUser(100), await createUser(100)];
      await booted.database.query(
        'UPDATE users SET version = 2147483647 WHERE id = ANY($1)',
        [[alice, bob]],
      );

      const changed = await request(server())
        .post(`/users/${alice}/balance`)
        .send({ amount: -2 })
        .expect(200);
      expect(changed.body).toMatchObject({ balance: 98, version: 2147483648 });
      await request(server())
        .post('/transfers')
        .send({ fromUserId: alice, toUserId: bob, amount: 8 })
        .expect(201);
      await request(server()).get(`/users/${alice}`).expect(200, {
        id: alice,
        balance: 90,
        available: 90,
        held: 0,
        version: 2147483649,
      });
      expect(
        await booted.database.query(
          'SELECT id, version FROM users WHERE id = ANY($1) ORDER BY id',
          [[alice, bob]],
        ),
      ).toEqual([
        { id: alice, version: 2147483649 },
        { id: bob, version: 2147483648 },
      ]);
    });
  });
});
