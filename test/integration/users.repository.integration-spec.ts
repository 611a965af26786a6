import { SEED_BALANCE } from '../../src/database/seed';
import {
  BalanceLimitExceededError,
  InsufficientFundsError,
  UserNotFoundError,
} from '../../src/users/users.repository';
import {
  bootDataLayer,
  lockingSession,
  NO_ANNOTATION,
  TEST_CALLER,
  untilSomeoneWaitsForALock,
} from './data-layer';

describe('UsersRepository against PostgreSQL', () => {
  const layer = bootDataLayer();

  it('finds the seeded user 1 with its opening balance, recorded as its first balance transaction', async () => {
    expect(await layer.users.findOne(1)).toEqual({
      userId: 1,
      balance: SEED_BALANCE,
      held: 0,
      available: SEED_BALANCE,
      version: 1,
    });
    const page = await layer.users.balanceTransactions(1, { limit: 10 });
    expect(page.items).toEqual([
      expect.objectContaining({
        userId: 1,
        amount: SEED_BALANCE,
        balanceAfter: SEED_BALANCE,
        type: 'opening',
        transferId: null,
        holdId: null,
      }),
    ]);
  });

  it('creates a user whose opening balance is its first balance transaction', async () => {
    const user = await layer.users.create(500, TEST_CALLER);
    expect(user).toEqual({
      userId: expect.any(Number) as number,
      balance: 500,
      held: 0,
      available: 500,
      version: 1,
    });
    const [opening] = await layer.database.query<{
      type: string;
      amount: number;
    }>('SELECT type, amount FROM balance_transactions WHERE user_id = $1', [
      user.userId,
    ]);
    expect(opening).toEqual({ type: 'opening', amount: 500 });
  });

  it('credits and debits, appending one balance transaction with the balance after each', async () => {
    const { userId } = await layer.users.create(100, TEST_CALLER);
    const credit = await layer.users.changeBalance(
      userId,
      50,
      {
        reference: 'order-1',
        description: 'a refund',
      },
      TEST_CALLER,
    );
    expect(credit).toEqual({
      userId,
      balance: 150,
      version: 2,
      transactionId: expect.any(Number) as number,
      reference: 'order-1',
      description: 'a refund',
      ...TEST_CALLER,
    });
    const debit = await layer.users.changeBalance(
      userId,
      -150,
      NO_ANNOTATION,
      TEST_CALLER,
    );
    expect(debit.balance).toBe(0);
    expect(debit.version).toBe(3);
    const rows = await layer.database.query<{
      amount: number;
      balance_after: number;
      type: string;
    }>(
      'SELECT amount, balance_after, type FROM balance_transactions WHERE user_id = $1 ORDER BY id',
      [userId],
    );
    expect(rows).toEqual([
      { amount: 100, balance_after: 100, type: 'opening' },
      { amount: 50, balance_after: 150, type: 'credit' },
      { amount: -150, balance_after: 0, type: 'debit' },
    ]);
  });

  it('refuses a debit that would make the balance negative, changing nothing', async () => {
    const { userId } = await layer.users.create(10, TEST_CALLER);
    const refusal = layer.users.changeBalance(
      userId,
      -11,
      NO_ANNOTATION,
      TEST_CALLER,
    );
    await expect(refusal).rejects.toBeInstanceOf(InsufficientFundsError);
    await expect(refusal).rejects.toMatchObject({
      details: { balance: 10, available: 10 },
    });
    expect(await layer.users.findOne(userId)).toMatchObject({
      balance: 10,
      version: 1,
    });
  });

  it('refuses a change of a user that does not exist, and a credit past 2^53 - 1', async () => {
    await expect(
      layer.users.changeBalance(2_000_000_000, 1, NO_ANNOTATION, TEST_CALLER),
    ).rejects.toBeInstanceOf(UserNotFoundError);
    const { userId } = await layer.users.create(
      Number.MAX_SAFE_INTEGER - 1,
      TEST_CALLER,
    );
    await expect(
      layer.users.changeBalance(userId, 2, NO_ANNOTATION, TEST_CALLER),
    ).rejects.toBeInstanceOf(BalanceLimitExceededError);
    await expect(layer.users.findOne(2_000_000_000)).rejects.toBeInstanceOf(
      UserNotFoundError,
    );
  });

  it('checks a debit against what is available, not the balance: held money cannot be spent', async () => {
    const { userId } = await layer.users.create(100, TEST_CALLER);
    await layer.holds.place(userId, 60, 3600, NO_ANNOTATION, TEST_CALLER);
    await expect(
      layer.users.changeBalance(userId, -41, NO_ANNOTATION, TEST_CALLER),
    ).rejects.toMatchObject({ details: { balance: 100, available: 40 } });
    expect(
      (await layer.users.changeBalance(userId, -40, NO_ANNOTATION, TEST_CALLER))
        .balance,
    ).toBe(60);
    expect(await layer.users.findOne(userId)).toMatchObject({
      balance: 60,
      held: 60,
      available: 0,
    });
  });

  it("waits for the user's row lock before a debit the balance covers, and applies it once the lock is released", async () => {
    const { userId } = await layer.users.create(100, TEST_CALLER);
    const session = await lockingSession(layer.database.url);
    try {
      await session.client.query('BEGIN');
      await session.client.query(
        'SELECT 1 FROM users WHERE id = $1 FOR UPDATE',
        [userId],
      );
      let settled = false;
      const debit = layer.users
        .changeBalance(userId, -30, NO_ANNOTATION, TEST_CALLER)
        .finally(() => (settled = true));
      await untilSomeoneWaitsForALock(layer.database.url);
      expect(settled).toBe(false);
      await session.client.query('ROLLBACK');
      expect((await debit).balance).toBe(70);
    } finally {
      await session.end();
    }
  });

  it('sees the balance as it is once locked: a debit covered before the lock is refused when a change committed while it waited leaves too little', async () => {
    const { userId } = await layer.users.create(100, TEST_CALLER);
    const session = await lockingSession(layer.database.url);
    try {
      await session.client.query('BEGIN');
      await session.client.query(
        'SELECT 1 FROM users WHERE id = $1 FOR UPDATE',
        [userId],
      );
      const debit = layer.users.changeBalance(
        userId,
        -80,
        NO_ANNOTATION,
        TEST_CALLER,
      );
      await untilSomeoneWaitsForALock(layer.database.url);
      // What the ledger would write for a debit of 50, committed while the debit of 80 waits.
      await session.client.query(
        'UPDATE users SET balance = balance - 50, version = version + 1 WHERE id = $1',
        [userId],
      );
      await session.client.query(
        'SELECT ledger_append($1, -50, 50, 2, $2, clock_timestamp(), pg_current_xact_id())',
        [userId, 'debit'],
      );
      await session.client.query('COMMIT');
      await expect(debit).rejects.toMatchObject({ details: { balance: 50 } });
    } finally {
      await session.end();
    }
  });

  it('refuses a debit the committed balance cannot cover without queueing for the row lock', async () => {
    const { userId } = await layer.users.create(10, TEST_CALLER);
    const session = await lockingSession(layer.database.url);
    try {
      await session.client.query('BEGIN');
      await session.client.query(
        'SELECT 1 FROM users WHERE id = $1 FOR UPDATE',
        [userId],
      );
      await expect(
        layer.users.changeBalance(userId, -11, NO_ANNOTATION, TEST_CALLER),
      ).rejects.toBeInstanceOf(InsufficientFundsError);
      await session.client.query('ROLLBACK');
    } finally {
      await session.end();
    }
  });

  it('pages balance transactions newest first, and filters them by reference', async () => {
    const { userId } = await layer.users.create(0, TEST_CALLER);
    for (const reference of ['a', 'b', 'a']) {
      await layer.users.changeBalance(
        userId,
        1,
        {
          reference,
          description: null,
        },
        TEST_CALLER,
      );
    }
    const first = await layer.users.balanceTransactions(userId, { limit: 2 });
    expect(first.items.map((entry) => entry.balanceAfter)).toEqual([3, 2]);
    expect(first.nextCursor).not.toBeNull();
    const second = await layer.users.balanceTransactions(userId, {
      limit: 2,
      cursor: first.nextCursor ?? undefined,
    });
    expect(second.items.map((entry) => entry.balanceAfter)).toEqual([1, 0]);
    expect(second.nextCursor).toBeNull();
    const tagged = await layer.users.balanceTransactions(userId, {
      limit: 10,
      reference: 'a',
    });
    expect(tagged.items.map((entry) => entry.balanceAfter)).toEqual([3, 1]);
    await expect(
      layer.users.balanceTransactions(2_000_000_000, { limit: 10 }),
    ).rejects.toBeInstanceOf(UserNotFoundError);
  });
});
