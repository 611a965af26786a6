import { fireBurst } from '../utils/burst';
import { startInstance } from '../utils/instance';
import { createTestDatabase, type TestDatabase } from '../utils/test-database';

describe('graceful shutdown', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase();
  });

  afterAll(async () => {
    await database?.drop();
  });

  it('on SIGTERM, answers every debit it accepted, applies exactly those, and exits 0', async () => {
    const instance = await startInstance(database.url);
    const balance = async () =>
      (
        await database.query<{ balance: number }>('SELECT balance FROM users')
      )[0].balance;

    // 2000 debits of 2 fit in the balance of 10000: anything but a 200 was never accepted.
    const burst = fireBurst(
      [instance.url],
      '/users/1/balance',
      { amount: -2 },
      2000,
    );
    while ((await balance()) === 10_000) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const signalled = Date.now();
    const exitCode = await instance.stop('SIGTERM');
    const { outcomes } = await burst;

    expect(exitCode).toBe(0);
    expect(Date.now() - signalled).toBeLessThan(15_000);
    const answered = outcomes.filter((outcome) => outcome.status === 200);
    // Every other request failed at the socket (status 0): refused or reset, never answered.
    expect(
      outcomes.filter((outcome) => ![0, 200].includes(outcome.status)),
    ).toEqual([]);
    expect(answered.length).toBeGreaterThan(0);
    expect(await balance()).toBe(10_000 - 2 * answered.length);
    const balances = answered
      .map((outcome) => outcome.body.balance as number)
      .sort((a, b) => b - a);
    expect(balances).toEqual(
      Array.from({ length: answered.length }, (_, i) => 10_000 - 2 * (i + 1)),
    );
    expect(instance.output()).not.toMatch(/ERROR|"level":50/);
  });
});
