import { ValidationFailedError } from '../../src/common/domain.error';
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

describe('TransfersRepository against PostgreSQL', () => {
  const layer = bootDataLayer();

  it('moves money all or nothing: the transfer, both balances and two balance transactions sharing its id', async () => {
    const from = await layer.users.create(100, TEST_CALLER);
    const to = await layer.users.create(5, TEST_CALLER);
    const transfer = await layer.transfers.create(
      from.userId,
      to.userId,
      30,
      {
        reference: 'invoice-9',
        description: null,
      },
      TEST_CALLER,
    );
    expect(transfer).toEqual({
      id: expect.any(Number) as number,
      fromUserId: from.userId,
      toUserId: to.userId,
      amount: 30,
      fromBalance: 70,
      toBalance: 35,
      createdAt: expect.any(Date) as Date,
      reference: 'invoice-9',
      description: null,
      reversalOf: null,
      ...TEST_CALLER,
    });
    const sides = await layer.database.query<{
      user_id: number;
      amount: number;
      type: string;
    }>(
      'SELECT user_id, amount, type FROM balance_transactions WHERE transfer_id = $1 ORDER BY id',
      [transfer.id],
    );
    expect(sides).toEqual([
      { user_id: from.userId, amount: -30, type: 'transfer_out' },
      { user_id: to.userId, amount: 30, type: 'transfer_in' },
    ]);
  });

  it('refuses what the source cannot cover, a missing user (naming it), a target past 2^53 - 1 and a transfer to oneself, changing nothing', async () => {
    const from = await layer.users.create(10, TEST_CALLER);
    const to = await layer.users.create(
      Number.MAX_SAFE_INTEGER - 5,
      TEST_CALLER,
    );
    await expect(
      layer.transfers.create(
        from.userId,
        to.userId,
        11,
        NO_ANNOTATION,
        TEST_CALLER,
      ),
    ).rejects.toBeInstanceOf(InsufficientFundsError);
    await expect(
      layer.transfers.create(
        from.userId,
        2_000_000_000,
        1,
        NO_ANNOTATION,
        TEST_CALLER,
      ),
    ).rejects.toEqual(new UserNotFoundError(2_000_000_000));
    await expect(
      layer.transfers.create(
        from.userId,
        to.userId,
        6,
        NO_ANNOTATION,
        TEST_CALLER,
      ),
    ).rejects.toBeInstanceOf(BalanceLimitExceededError);
    await expect(
      layer.transfers.create(
        from.userId,
        from.userId,
        1,
        NO_ANNOTATION,
        TEST_CALLER,
      ),
    ).rejects.toBeInstanceOf(ValidationFailedError);
    expect((await layer.users.findOne(from.userId)).balance).toBe(10);
    expect(
      await layer.database.query(
        'SELECT 1 FROM transfers WHERE from_user_id = $1',
        [from.userId],
      ),
    ).toEqual([]);
  });

  it('locks its users in ascending id order whatever the direction, so opposite transfers never deadlock', async () => {
    const low = await layer.users.create(100, TEST_CALLER);
    const high = await layer.users.create(100, TEST_CALLER);
    const session = await lockingSession(layer.database.url);
    try {
      await session.client.query('BEGIN');
      await session.client.query(
        'SELECT 1 FROM users WHERE id = $1 FOR UPDATE',
        [low.userId],
      );
      // From the higher id to the lower: it waits for the lower id first, holding nothing.
      const transfer = layer.transfers.create(
        high.userId,
        low.userId,
        10,
        NO_ANNOTATION,
        TEST_CALLER,
      );
      await untilSomeoneWaitsForALock(layer.database.url);
      expect(await session.isFree('users', high.userId)).toBe(true);
      await session.client.query('ROLLBACK');
      expect((await transfer).fromBalance).toBe(90);
    } finally {
      await session.end();
    }
  });

  it('lets many transfers in both directions between two users finish, with the money conserved', async () => {
    const a = await layer.users.create(1_000, TEST_CALLER);
    const b = await layer.users.create(1_000, TEST_CALLER);
    const transfers = Array.from({ length: 60 }, (_, i) =>
      i % 2 === 0
        ? layer.transfers.create(
            a.userId,
            b.userId,
            7,
            NO_ANNOTATION,
            TEST_CALLER,
          )
        : layer.transfers.create(
            b.userId,
            a.userId,
            3,
            NO_ANNOTATION,
            TEST_CALLER,
          ),
    );
    await Promise.all(transfers);
    const balances = [
      (await layer.users.findOne(a.userId)).balance,
      (await layer.users.findOne(b.userId)).balance,
    ];
    expect(balances).toEqual([
      1_000 - 30 * 7 + 30 * 3,
      1_000 + 30 * 7 - 30 * 3,
    ]);
  });
});
