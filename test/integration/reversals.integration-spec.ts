import { TransferNotFoundError } from '../../src/transfers/transfers.repository';
import {
  AlreadyReversedError,
  BalanceLimitExceededError,
  InsufficientFundsError,
  NotReversibleError,
  TransactionNotFoundError,
} from '../../src/users/users.repository';
import {
  bootDataLayer,
  lockingSession,
  NO_ANNOTATION,
  untilSomeoneWaitsForALock,
} from './data-layer';

const ALICE = { actor: 'alice', requestId: 'req-1' };
const BOB = { actor: 'bob', requestId: 'req-2' };

const UNIQUE_VIOLATION = '23505';

describe('reversals (ledger_reverse_transaction, ledger_reverse_transfer) against PostgreSQL', () => {
  const layer = bootDataLayer();

  const balanceOf = async (userId: number) =>
    (await layer.users.findOne(userId)).balance;

  describe('UsersRepository.reverseTransaction', () => {
    it('reverses a credit with a reversal of the opposite amount, recording who reversed it', async () => {
      const { userId } = await layer.users.create(100, ALICE);
      const credit = await layer.users.changeBalance(
        userId,
        40,
        NO_ANNOTATION,
        ALICE,
      );
      const reversal = await layer.users.reverseTransaction(
        credit.transactionId,
        { reference: 'refund-1', description: 'sent twice' },
        BOB,
      );
      expect(reversal).toEqual({
        id: expect.any(Number) as number,
        userId,
        amount: -40,
        balanceAfter: 100,
        type: 'reversal',
        transferId: null,
        holdId: null,
        reversalOf: credit.transactionId,
        reference: 'refund-1',
        description: 'sent twice',
        actor: 'bob',
        requestId: 'req-2',
        createdAt: expect.any(Date) as Date,
      });
      expect(await layer.users.findTransaction(reversal.id)).toEqual(reversal);
      expect(await layer.users.findOne(userId)).toMatchObject({
        balance: 100,
        version: 3,
      });
    });

    it('reverses a debit by crediting it back', async () => {
      const { userId } = await layer.users.create(100, ALICE);
      const debit = await layer.users.changeBalance(
        userId,
        -60,
        NO_ANNOTATION,
        ALICE,
      );
      const reversal = await layer.users.reverseTransaction(
        debit.transactionId,
        NO_ANNOTATION,
        ALICE,
      );
      expect(reversal).toMatchObject({ amount: 60, balanceAfter: 100 });
    });

    it('reverses a capture by crediting it back; the hold stays captured', async () => {
      const { userId } = await layer.users.create(100, ALICE);
      const { hold } = await layer.holds.place(
        userId,
        30,
        60,
        NO_ANNOTATION,
        ALICE,
      );
      const captured = await layer.holds.capture(
        hold.id,
        undefined,
        NO_ANNOTATION,
        BOB,
      );
      expect(captured.balance).toBe(70);
      const capture = await layer.users.findTransaction(
        captured.hold.transactionId ?? 0,
      );
      expect(capture).toMatchObject({ type: 'capture', actor: 'bob' });
      const reversal = await layer.users.reverseTransaction(
        capture.id,
        NO_ANNOTATION,
        ALICE,
      );
      expect(reversal).toMatchObject({
        amount: 30,
        balanceAfter: 100,
        holdId: null,
      });
      expect(await layer.holds.findOne(hold.id)).toMatchObject({
        status: 'captured',
        capturedAmount: 30,
        actor: 'alice',
      });
    });

    it('reverses an entry once: a second reversal is refused with the first one', async () => {
      const { userId } = await layer.users.create(100, ALICE);
      const credit = await layer.users.changeBalance(
        userId,
        10,
        NO_ANNOTATION,
        ALICE,
      );
      const first = await layer.users.reverseTransaction(
        credit.transactionId,
        NO_ANNOTATION,
        ALICE,
      );
      const second = layer.users.reverseTransaction(
        credit.transactionId,
        NO_ANNOTATION,
        BOB,
      );
      await expect(second).rejects.toBeInstanceOf(AlreadyReversedError);
      await expect(second).rejects.toMatchObject({
        details: { reversalId: first.id },
      });
      expect(await balanceOf(userId)).toBe(100);
    });

    it('serializes two reversals of one entry at the same moment: one applies, the other finds it', async () => {
      const { userId } = await layer.users.create(100, ALICE);
      const credit = await layer.users.changeBalance(
        userId,
        10,
        NO_ANNOTATION,
        ALICE,
      );
      const outcomes = await Promise.allSettled([
        layer.users.reverseTransaction(
          credit.transactionId,
          NO_ANNOTATION,
          ALICE,
        ),
        layer.users.reverseTransaction(
          credit.transactionId,
          NO_ANNOTATION,
          BOB,
        ),
      ]);
      expect(outcomes.map((outcome) => outcome.status).sort()).toEqual([
        'fulfilled',
        'rejected',
      ]);
      const refusal = outcomes.find((outcome) => outcome.status === 'rejected');
      expect(refusal?.reason).toBeInstanceOf(AlreadyReversedError);
      expect(await balanceOf(userId)).toBe(100);
    });

    it('has the database refuse a second reversal of an entry even when written around the function', async () => {
      const { userId } = await layer.users.create(100, ALICE);
      const credit = await layer.users.changeBalance(
        userId,
        10,
        NO_ANNOTATION,
        ALICE,
      );
      await layer.users.reverseTransaction(
        credit.transactionId,
        NO_ANNOTATION,
        ALICE,
      );
      const session = await lockingSession(layer.database.url);
      try {
        await expect(
          session.client.query(
            `SELECT ledger_append($1, -10, 90, 9, 'reversal', clock_timestamp(), pg_current_xact_id(), p_reversal_of => $2)`,
            [userId, credit.transactionId],
          ),
        ).rejects.toMatchObject({ code: UNIQUE_VIOLATION });
      } finally {
        await session.end();
      }
    });

    it('refuses to reverse an opening, a reversal, or a side of a transfer on its own', async () => {
      const from = await layer.users.create(100, ALICE);
      const to = await layer.users.create(0, ALICE);
      const [opening] = await layer.database.query<{ id: number }>(
        "SELECT id FROM balance_transactions WHERE user_id = $1 AND type = 'opening'",
        [from.userId],
      );
      const credit = await layer.users.changeBalance(
        from.userId,
        5,
        NO_ANNOTATION,
        ALICE,
      );
      const reversal = await layer.users.reverseTransaction(
        credit.transactionId,
        NO_ANNOTATION,
        ALICE,
      );
      const transfer = await layer.transfers.create(
        from.userId,
        to.userId,
        20,
        NO_ANNOTATION,
        ALICE,
      );
      const [side] = await layer.database.query<{ id: number }>(
        'SELECT id FROM balance_transactions WHERE transfer_id = $1 LIMIT 1',
        [transfer.id],
      );
      for (const id of [opening.id, reversal.id, side.id]) {
        await expect(
          layer.users.reverseTransaction(id, NO_ANNOTATION, ALICE),
        ).rejects.toBeInstanceOf(NotReversibleError);
      }
      await expect(
        layer.users.reverseTransaction(
          Number.MAX_SAFE_INTEGER,
          NO_ANNOTATION,
          ALICE,
        ),
      ).rejects.toBeInstanceOf(TransactionNotFoundError);
      await expect(
        layer.users.findTransaction(Number.MAX_SAFE_INTEGER),
      ).rejects.toBeInstanceOf(TransactionNotFoundError);
    });

    it('refuses to reverse a credit whose money is no longer available, with the balance and what is available', async () => {
      const { userId } = await layer.users.create(0, ALICE);
      const credit = await layer.users.changeBalance(
        userId,
        50,
        NO_ANNOTATION,
        ALICE,
      );
      await layer.holds.place(userId, 20, 60, NO_ANNOTATION, ALICE);
      const refusal = layer.users.reverseTransaction(
        credit.transactionId,
        NO_ANNOTATION,
        ALICE,
      );
      await expect(refusal).rejects.toBeInstanceOf(InsufficientFundsError);
      await expect(refusal).rejects.toMatchObject({
        details: { balance: 50, available: 30 },
      });
      expect(await balanceOf(userId)).toBe(50);
    });

    it('refuses to reverse a debit that would take the balance past 2^53 - 1', async () => {
      const { userId } = await layer.users.create(10, ALICE);
      const debit = await layer.users.changeBalance(
        userId,
        -10,
        NO_ANNOTATION,
        ALICE,
      );
      await layer.users.changeBalance(
        userId,
        Number.MAX_SAFE_INTEGER,
        NO_ANNOTATION,
        ALICE,
      );
      await expect(
        layer.users.reverseTransaction(
          debit.transactionId,
          NO_ANNOTATION,
          ALICE,
        ),
      ).rejects.toBeInstanceOf(BalanceLimitExceededError);
    });
  });

  describe('TransfersRepository.reverse', () => {
    it('moves the amount back, both sides reversing the original sides, all or nothing', async () => {
      const from = await layer.users.create(100, ALICE);
      const to = await layer.users.create(0, ALICE);
      const transfer = await layer.transfers.create(
        from.userId,
        to.userId,
        30,
        NO_ANNOTATION,
        ALICE,
      );
      const reversal = await layer.transfers.reverse(
        transfer.id,
        { reference: 'chargeback-3', description: null },
        BOB,
      );
      expect(reversal).toEqual({
        id: expect.any(Number) as number,
        fromUserId: to.userId,
        toUserId: from.userId,
        amount: 30,
        fromBalance: 0,
        toBalance: 100,
        createdAt: expect.any(Date) as Date,
        reversalOf: transfer.id,
        reference: 'chargeback-3',
        description: null,
        actor: 'bob',
        requestId: 'req-2',
      });
      const sides = await layer.database.query<{
        user_id: number;
        amount: number;
        type: string;
        reverses: string;
        actor: string;
      }>(
        `SELECT bt.user_id, bt.amount, bt.type, original.type AS reverses, bt.actor
         FROM balance_transactions bt
         JOIN balance_transactions original ON original.id = bt.reversal_of
         WHERE bt.transfer_id = $1 ORDER BY bt.id`,
        [reversal.id],
      );
      expect(sides).toEqual([
        {
          user_id: to.userId,
          amount: -30,
          type: 'transfer_out',
          reverses: 'transfer_in',
          actor: 'bob',
        },
        {
          user_id: from.userId,
          amount: 30,
          type: 'transfer_in',
          reverses: 'transfer_out',
          actor: 'bob',
        },
      ]);
    });

    it('reverses a transfer once, never a reversal, and refuses one whose target no longer has the money', async () => {
      const from = await layer.users.create(100, ALICE);
      const to = await layer.users.create(0, ALICE);
      const transfer = await layer.transfers.create(
        from.userId,
        to.userId,
        30,
        NO_ANNOTATION,
        ALICE,
      );
      const reversal = await layer.transfers.reverse(
        transfer.id,
        NO_ANNOTATION,
        ALICE,
      );
      await expect(
        layer.transfers.reverse(transfer.id, NO_ANNOTATION, ALICE),
      ).rejects.toMatchObject({
        code: 'ALREADY_REVERSED',
        details: { reversalId: reversal.id },
      });
      await expect(
        layer.transfers.reverse(reversal.id, NO_ANNOTATION, ALICE),
      ).rejects.toBeInstanceOf(NotReversibleError);
      await expect(
        layer.transfers.reverse(Number.MAX_SAFE_INTEGER, NO_ANNOTATION, ALICE),
      ).rejects.toBeInstanceOf(TransferNotFoundError);

      const spent = await layer.transfers.create(
        from.userId,
        to.userId,
        30,
        NO_ANNOTATION,
        ALICE,
      );
      await layer.users.changeBalance(to.userId, -25, NO_ANNOTATION, ALICE);
      const refusal = layer.transfers.reverse(spent.id, NO_ANNOTATION, ALICE);
      await expect(refusal).rejects.toBeInstanceOf(InsufficientFundsError);
      await expect(refusal).rejects.toMatchObject({
        details: { balance: 5, available: 5 },
      });
      expect(await balanceOf(from.userId)).toBe(70);
      expect(await balanceOf(to.userId)).toBe(5);
    });

    it('locks its users in ascending id order, whichever way the money goes back', async () => {
      const low = await layer.users.create(100, ALICE);
      const high = await layer.users.create(0, ALICE);
      const transfer = await layer.transfers.create(
        low.userId,
        high.userId,
        10,
        NO_ANNOTATION,
        ALICE,
      );
      const session = await lockingSession(layer.database.url);
      try {
        await session.client.query('BEGIN');
        await session.client.query(
          'SELECT 1 FROM users WHERE id = $1 FOR UPDATE',
          [low.userId],
        );
        // The money goes from the higher id to the lower: it waits for the lower id first,
        // holding nothing.
        const reversal = layer.transfers.reverse(
          transfer.id,
          NO_ANNOTATION,
          ALICE,
        );
        await untilSomeoneWaitsForALock(layer.database.url);
        expect(await session.isFree('users', high.userId)).toBe(true);
        await session.client.query('ROLLBACK');
        expect(await reversal).toMatchObject({
          fromBalance: 0,
          toBalance: 100,
        });
      } finally {
        await session.end();
      }
    });

    it('refuses a reversal that would take the source past 2^53 - 1', async () => {
      const from = await layer.users.create(10, ALICE);
      const to = await layer.users.create(0, ALICE);
      const transfer = await layer.transfers.create(
        from.userId,
        to.userId,
        10,
        NO_ANNOTATION,
        ALICE,
      );
      await layer.users.changeBalance(
        from.userId,
        Number.MAX_SAFE_INTEGER,
        NO_ANNOTATION,
        ALICE,
      );
      const refusal = layer.transfers.reverse(
        transfer.id,
        NO_ANNOTATION,
        ALICE,
      );
      await expect(refusal).rejects.toBeInstanceOf(BalanceLimitExceededError);
      await expect(refusal).rejects.toThrow(
        `user ${from.userId} would pass it`,
      );
      expect(await balanceOf(to.userId)).toBe(10);
    });

    it('has the database refuse a second reversal of a transfer even when written around the function', async () => {
      const from = await layer.users.create(100, ALICE);
      const to = await layer.users.create(0, ALICE);
      const transfer = await layer.transfers.create(
        from.userId,
        to.userId,
        30,
        NO_ANNOTATION,
        ALICE,
      );
      await layer.transfers.reverse(transfer.id, NO_ANNOTATION, ALICE);
      await expect(
        layer.database.query(
          'INSERT INTO transfers (from_user_id, to_user_id, amount, reversal_of) VALUES ($1, $2, 30, $3)',
          [to.userId, from.userId, transfer.id],
        ),
      ).rejects.toMatchObject({ code: UNIQUE_VIOLATION });
    });
  });
});
