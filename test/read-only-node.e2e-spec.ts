import request from 'supertest';
import { bootAppOnTestDatabase } from './utils/app';
import { databaseAt } from './utils/test-database';

/** The app's pool size (DB_POOL_MAX's default). */
const POOL_SIZE = 10;

/**
 * A node that cannot take writes: its sessions are terminated (57P01, as in a shutdown or a
 * demotion), and the connections that replace them open read-only, as on a standby, so every
 * write fails with SQLSTATE 25006. Here the database's default makes them read-only, so the
 * machine's shared server stays untouched; the failover reliability test kills a real leader.
 */
describe('A database node that cannot take writes', () => {
  const booted = bootAppOnTestDatabase();

  const credit = (userId: number) =>
    request(booted.app.getHttpServer())
      .post(`/users/${userId}/balance`)
      .send({ amount: 1 });

  // From another database of the server: this one's sessions are read-only too.
  const setReadOnly = (on: boolean) =>
    databaseAt(process.env.TEST_DATABASE_URL!).query(
      `ALTER DATABASE ${booted.database.name} ${on ? 'SET default_transaction_read_only = on' : 'RESET default_transaction_read_only'}`,
    );

  it('answers 503 SERVICE_UNAVAILABLE, changes nothing, and discards each connection so that the pool heals', async () => {
    const created = await request(booted.app.getHttpServer())
      .post('/users')
      .send({ balance: 100 })
      .expect(201);
    const userId = (created.body as { id: number }).id;

    await setReadOnly(true);
    await booted.database.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [booted.database.name],
    );
    const refused = [];
    for (let i = 0; i < 2 * POOL_SIZE; i++) {
      refused.push(await credit(userId));
    }
    for (const response of refused) {
      expect({
        status: response.status,
        code: (response.body as { code: string }).code,
      }).toEqual({
        status: 503,
        code: 'SERVICE_UNAVAILABLE',
      });
      expect(response.headers['retry-after']).toBe('1');
    }

    // Writable again; only a connection opened from now on knows it.
    await setReadOnly(false);
    const statuses: number[] = [];
    for (let i = 0; i < 3 * POOL_SIZE; i++) {
      statuses.push((await credit(userId)).status);
    }
    expect(
      statuses.filter((status) => status !== 200).length,
    ).toBeLessThanOrEqual(POOL_SIZE);
    expect(statuses.slice(-POOL_SIZE)).toEqual(Array(POOL_SIZE).fill(200));
    expect(new Set(statuses)).toEqual(new Set([200, 503]));
    const [user] = await booted.database.query<{ balance: number }>(
      'SELECT balance FROM users WHERE id = $1',
      [userId],
    );
    expect(user.balance).toBe(
      100 + statuses.filter((status) => status === 200).length,
    );
  });
});
