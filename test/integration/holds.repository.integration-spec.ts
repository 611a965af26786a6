import {
  CaptureExceedsHoldError,
  HoldNotActiveError,
  HoldNotFoundError,
} from '../../src/holds/holds.repository';
import {
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

describe('HoldsRepository against PostgreSQL', () => {
  const layer = bootDataLayer();

  /** Moves a hold's expiry into the past, as time passing would: no sleep. */
  async function expire(holdId: number): Promise<void> {
    await layer.database.query(
      `UPDATE holds SET expires_at = now() - interval '1 second', created_at = now() - interval '1 hour'
       WHERE id = $1`,
      [holdId],
    );
  }

  it('places a hold from what is available, and refuses one above it or for no user', async () => {
    const { userId } = await layer.users.create(100, TEST_CALLER);
    const placed = await layer.holds.place(
      userId,
      70,
      60,
      {
        reference: 'order-5',
        description: null,
      },
      TEST_CALLER,
    );
    expect(placed).toEqual({
      hold: expect.objectContaining({
        userId,
        amount: 70,
        status: 'active',
        capturedAmount: null,
        reference: 'order-5',
        transactionId: null,
      }) as object,
      balance: 100,
      available: 30,
    });
    await expect(
      layer.holds.place(userId, 31, 60, NO_ANNOTATION, TEST_CALLER),
    ).rejects.toBeInstanceOf(InsufficientFundsError);
    await expect(
      layer.holds.place(2_000_000_000, 1, 60, NO_ANNOTATION, TEST_CALLER),
    ).rejects.toBeInstanceOf(UserNotFoundError);
  });

  it('captures part of a hold as a capture balance transaction and releases the rest', async () => {
    const { userId } = await layer.users.create(100, TEST_CALLER);
    const { hold } = await layer.holds.place(
      userId,
      60,
      60,
      {
        reference: 'order-6',
        description: null,
      },
      TEST_CALLER,
    );
    const captured = await layer.holds.capture(
      hold.id,
      25,
      NO_ANNOTATION,
      TEST_CALLER,
    );
    expect(captured).toMatchObject({
      hold: { status: 'captured', capturedAmount: 25, reference: 'order-6' },
      balance: 75,
      available: 75,
    });
    const [entry] = await layer.database.query<{
      type: string;
      amount: number;
      hold_id: number;
      reference: string;
    }>(
      'SELECT type, amount, hold_id, reference FROM balance_transactions WHERE id = $1',
      [captured.hold.transactionId],
    );
    expect(entry).toEqual({
      type: 'capture',
      amount: -25,
      hold_id: hold.id,
      reference: 'order-6',
    });
  });

  it('refuses a capture above the hold, of a settled or expired hold, and of no hold', async () => {
    const { userId } = await layer.users.create(100, TEST_CALLER);
    const { hold } = await layer.holds.place(
      userId,
      10,
      60,
      NO_ANNOTATION,
      TEST_CALLER,
    );
    await expect(
      layer.holds.capture(hold.id, 11, NO_ANNOTATION, TEST_CALLER),
    ).rejects.toBeInstanceOf(CaptureExceedsHoldError);
    await layer.holds.void(hold.id);
    await expect(
      layer.holds.capture(hold.id, undefined, NO_ANNOTATION, TEST_CALLER),
    ).rejects.toEqual(new HoldNotActiveError(hold.id, 'voided'));
    const second = (
      await layer.holds.place(userId, 10, 60, NO_ANNOTATION, TEST_CALLER)
    ).hold;
    await expire(second.id);
    await expect(layer.holds.void(second.id)).rejects.toEqual(
      new HoldNotActiveError(second.id, 'expired'),
    );
    expect((await layer.holds.findOne(second.id)).status).toBe('expired');
    await expect(layer.holds.void(9_000_000_000)).rejects.toBeInstanceOf(
      HoldNotFoundError,
    );
    await expect(layer.holds.findOne(9_000_000_000)).rejects.toBeInstanceOf(
      HoldNotFoundError,
    );
  });

  it('stops setting money aside the moment a hold expires, with no job to run', async () => {
    const { userId } = await layer.users.create(100, TEST_CALLER);
    const { hold } = await layer.holds.place(
      userId,
      100,
      60,
      NO_ANNOTATION,
      TEST_CALLER,
    );
    expect((await layer.users.findOne(userId)).available).toBe(0);
    await expire(hold.id);
    expect(await layer.users.findOne(userId)).toMatchObject({
      held: 0,
      available: 100,
    });
  });

  it("locks the hold's user before the hold", async () => {
    const { userId } = await layer.users.create(100, TEST_CALLER);
    const { hold } = await layer.holds.place(
      userId,
      10,
      60,
      NO_ANNOTATION,
      TEST_CALLER,
    );
    const session = await lockingSession(layer.database.url);
    try {
      await session.client.query('BEGIN');
      await session.client.query(
        'SELECT 1 FROM holds WHERE id = $1 FOR UPDATE',
        [hold.id],
      );
      const capture = layer.holds.capture(
        hold.id,
        undefined,
        NO_ANNOTATION,
        TEST_CALLER,
      );
      await untilSomeoneWaitsForALock(layer.database.url);
      // Waiting for the hold, the capture already holds its user.
      expect(await session.isFree('users', userId)).toBe(false);
      await session.client.query('ROLLBACK');
      expect((await capture).balance).toBe(90);
    } finally {
      await session.end();
    }
  });

  it('settles a hold once: a capture and a void racing on it end with exactly one applied', async () => {
    const { userId } = await layer.users.create(100, TEST_CALLER);
    const { hold } = await layer.holds.place(
      userId,
      40,
      60,
      NO_ANNOTATION,
      TEST_CALLER,
    );
    const results = await Promise.allSettled([
      layer.holds.capture(hold.id, undefined, NO_ANNOTATION, TEST_CALLER),
      layer.holds.void(hold.id),
    ]);
    expect(
      results.filter((result) => result.status === 'fulfilled'),
    ).toHaveLength(1);
    const [refused] = results.filter((result) => result.status === 'rejected');
    expect(refused.reason).toBeInstanceOf(HoldNotActiveError);
  });

  it('pages holds newest first, filtered by their status now', async () => {
    const { userId } = await layer.users.create(100, TEST_CALLER);
    const ids: number[] = [];
    for (let i = 0; i < 3; i++) {
      ids.push(
        (await layer.holds.place(userId, 10, 60, NO_ANNOTATION, TEST_CALLER))
          .hold.id,
      );
    }
    await expire(ids[0]);
    const active = await layer.holds.list(userId, {
      limit: 10,
      status: 'active',
    });
    expect(active.items.map((hold) => hold.id)).toEqual([ids[2], ids[1]]);
    const expired = await layer.holds.list(userId, {
      limit: 10,
      status: 'expired',
    });
    expect(expired.items.map((hold) => hold.id)).toEqual([ids[0]]);
    const page = await layer.holds.list(userId, { limit: 2 });
    expect(page.items.map((hold) => hold.status)).toEqual(['active', 'active']);
    await expect(
      layer.holds.list(2_000_000_000, { limit: 10 }),
    ).rejects.toBeInstanceOf(UserNotFoundError);
  });
});
