import request from 'supertest';
import { bootAppOnTestDatabase } from './utils/app';
import { expectLedgerConsistent } from './utils/invariants';

describe('what a request may look like', () => {
  const booted = bootAppOnTestDatabase();

  const server = () => booted.app.getHttpServer();
  const createUser = async (balance: number): Promise<number> =>
    (
      (await request(server()).post('/users').send({ balance }).expect(201))
        .body as { id: number }
    ).id;

  afterEach(() => expectLedgerConsistent(booted.database));

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
      await request(server())
        .get(`/users/${alice}`)
        .expect(200, { id: alice, balance: 90, version: 2147483649 });
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
