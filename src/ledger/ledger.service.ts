import { Injectable } from '@nestjs/common';
import type { QueryResultRow } from 'pg';
import { QueryTypes, Transaction } from 'sequelize';
import { Sequelize } from 'sequelize-typescript';
import type { Annotation } from '../common/annotation.dto';
import { ValidationFailedError } from '../common/domain.error';
import { keysetPage, type Page } from '../common/keyset-page';
import { queryInTransaction } from '../database/transaction-query';
import {
  BalanceLimitExceededError,
  CaptureExceedsHoldError,
  HoldNotActiveError,
  HoldNotFoundError,
  InsufficientFundsError,
  UserNotFoundError,
} from './ledger.errors';
import {
  type Account,
  available,
  type BalanceChange,
  type BalanceTransaction,
  type Hold,
  type HoldChange,
  type OpenedAccount,
  type Transfer,
} from './ledger.results';
import {
  ACCOUNT,
  type AccountRow,
  type BalanceTransactionRow,
  CAPTURE_HOLD,
  CHANGE_BALANCE,
  type ChangeBalanceRow,
  HISTORY,
  HOLD,
  type HoldOperationRow,
  type HoldRow,
  HOLDS,
  type HoldStatus,
  OPEN_ACCOUNT,
  type OpenAccountRow,
  PLACE_HOLD,
  TRANSFER,
  type TransferRow,
  USER_EXISTS,
  VOID_HOLD,
} from './ledger.sql';

/** How a page of a listing is asked for. */
export interface PageRequest {
  limit: number;
  cursor?: string;
}

/**
 * How long an operation may wait for its answer. It waits for its users' row locks, and a hot
 * user's lock is a queue: under a burst on a busy machine the holders ahead release it only as
 * fast as their processes get to send COMMIT, so the wait can pass the 10 s that bound every
 * other query (which tell a frozen server). A request waits for its turn at a row as long as
 * the default wait for a connection.
 */
const TURN_TIMEOUT_MS = 60_000;

/**
 * The only way a balance changes, the ledger grows or a hold is placed or settled. Each
 * operation is one call of its SQL function (the rules, the row locks in one order, the
 * writes) in a managed transaction: the caller's, when it has one (an idempotency key's), else
 * one of its own. Under a hot user's row lock that is one round trip and the commit.
 */
@Injectable()
export class LedgerService {
  constructor(private readonly sequelize: Sequelize) {}

  /** A new user whose opening balance is its first balance transaction. */
  async openAccount(
    balance: number,
    transaction?: Transaction,
  ): Promise<OpenedAccount> {
    const row = await this.call<OpenAccountRow>(
      OPEN_ACCOUNT,
      [balance],
      transaction,
    );
    return {
      userId: row.user_id,
      balance: row.balance,
      version: row.version,
      transactionId: row.transaction_id,
    };
  }

  /** A user's balance and what its holds set aside now. */
  async account(userId: number): Promise<Account> {
    const [row] = await this.sequelize.query<AccountRow>(ACCOUNT, {
      bind: [userId],
      type: QueryTypes.SELECT,
    });
    if (!row) {
      throw new UserNotFoundError(userId);
    }
    return {
      userId,
      balance: row.balance,
      held: row.held,
      available: available(row.balance, row.held),
      version: row.version,
    };
  }

  /** Credits (amount > 0) or debits (amount < 0, from what is available) a user. */
  async changeBalance(
    userId: number,
    amount: number,
    annotation: Annotation,
    transaction?: Transaction,
  ): Promise<BalanceChange> {
    const row = await this.call<ChangeBalanceRow>(
      CHANGE_BALANCE,
      [userId, amount, annotation.reference, annotation.description],
      transaction,
    );
    switch (row.outcome) {
      case 'applied':
        return {
          userId,
          balance: row.balance,
          version: row.version!,
          transactionId: row.transaction_id!,
          ...annotation,
        };
      case 'user_not_found':
        throw new UserNotFoundError(userId);
      case 'insufficient_funds':
        throw new InsufficientFundsError(
          userId,
          row.balance,
          row.held!,
          -amount,
        );
      case 'balance_limit_exceeded':
        throw new BalanceLimitExceededError(userId);
    }
  }

  /** Moves `amount` (> 0, from what the source has available) to another user, all or nothing. */
  async transfer(
    fromUserId: number,
    toUserId: number,
    amount: number,
    annotation: Annotation,
    transaction?: Transaction,
  ): Promise<Transfer> {
    if (fromUserId === toUserId) {
      throw new ValidationFailedError('A transfer needs two different users');
    }
    const row = await this.call<TransferRow>(
      TRANSFER,
      [
        fromUserId,
        toUserId,
        amount,
        annotation.reference,
        annotation.description,
      ],
      transaction,
    );
    switch (row.outcome) {
      case 'applied':
        return {
          id: row.transfer_id!,
          fromUserId,
          toUserId,
          amount,
          fromBalance: row.from_balance,
          toBalance: row.to_balance,
          createdAt: row.created_at!,
          ...annotation,
        };
      case 'user_not_found':
        throw new UserNotFoundError(row.missing_user_id!);
      case 'insufficient_funds':
        throw new InsufficientFundsError(
          fromUserId,
          row.from_balance,
          row.from_held!,
          amount,
        );
      case 'balance_limit_exceeded':
        throw new BalanceLimitExceededError(toUserId);
    }
  }

  /** Sets `amount` of what the user has available aside for `expiresInSeconds`. */
  async placeHold(
    userId: number,
    amount: number,
    expiresInSeconds: number,
    annotation: Annotation,
    transaction?: Transaction,
  ): Promise<HoldChange> {
    const row = await this.call<HoldOperationRow>(
      PLACE_HOLD,
      [
        userId,
        amount,
        expiresInSeconds,
        annotation.reference,
        annotation.description,
      ],
      transaction,
    );
    if (row.outcome === 'user_not_found') {
      throw new UserNotFoundError(userId);
    }
    if (row.outcome === 'insufficient_funds') {
      throw new InsufficientFundsError(userId, row.balance!, row.held!, amount);
    }
    return holdChange(row);
  }

  /** Takes `amount` (all when undefined) of an active hold from the balance; releases the rest. */
  async captureHold(
    holdId: number,
    amount: number | undefined,
    annotation: Annotation,
    transaction?: Transaction,
  ): Promise<HoldChange> {
    const row = await this.call<HoldOperationRow>(
      CAPTURE_HOLD,
      [holdId, amount ?? null, annotation.reference, annotation.description],
      transaction,
    );
    if (row.outcome === 'capture_exceeds_hold') {
      throw new CaptureExceedsHoldError(holdId, row.amount!, amount!);
    }
    return settled(holdId, row);
  }

  /** Releases an active hold whole. */
  async voidHold(
    holdId: number,
    transaction?: Transaction,
  ): Promise<HoldChange> {
    return settled(
      holdId,
      await this.call<HoldOperationRow>(VOID_HOLD, [holdId], transaction),
    );
  }

  async hold(holdId: number): Promise<Hold> {
    const [row] = await this.sequelize.query<HoldRow>(HOLD, {
      bind: [holdId],
      type: QueryTypes.SELECT,
    });
    if (!row) {
      throw new HoldNotFoundError(holdId);
    }
    return holdOf(row);
  }

  /** A page of a user's holds, newest first, only those with `status` now if given. */
  async holds(
    userId: number,
    { limit, cursor, status }: PageRequest & { status?: HoldStatus },
  ): Promise<Page<Hold>> {
    return keysetPage(limit, cursor, async (count, before) => {
      const rows = await this.sequelize.query<HoldRow>(HOLDS, {
        bind: [userId, before ?? null, count, status ?? null],
        type: QueryTypes.SELECT,
      });
      await this.expectUserIfNone(rows, userId);
      return rows.map(holdOf);
    });
  }

  /** A page of a user's balance transactions, newest first, only those with `reference` if given. */
  async history(
    userId: number,
    { limit, cursor, reference }: PageRequest & { reference?: string },
  ): Promise<Page<BalanceTransaction>> {
    return keysetPage(limit, cursor, async (count, before) => {
      const rows = await this.sequelize.query<BalanceTransactionRow>(HISTORY, {
        bind: [userId, before ?? null, count, reference ?? null],
        type: QueryTypes.SELECT,
      });
      await this.expectUserIfNone(rows, userId);
      return rows.map((row) => ({
        id: row.id,
        userId: row.user_id,
        amount: row.amount,
        balanceAfter: row.balance_after,
        type: row.type,
        transferId: row.transfer_id,
        holdId: row.hold_id,
        reference: row.reference,
        description: row.description,
        createdAt: row.created_at,
      }));
    });
  }

  /** An empty listing of a user that does not exist is a 404, not an empty page. */
  private async expectUserIfNone(rows: unknown[], userId: number) {
    if (rows.length > 0) {
      return;
    }
    const users = await this.sequelize.query(USER_EXISTS, {
      bind: [userId],
      type: QueryTypes.SELECT,
    });
    if (users.length === 0) {
      throw new UserNotFoundError(userId);
    }
  }

  /** Runs one ledger function and returns its row, in `transaction` or in one of its own. */
  private call<Row extends QueryResultRow>(
    sql: string,
    bind: unknown[],
    transaction: Transaction | undefined,
  ): Promise<Row> {
    // Each ledger function returns exactly one row.
    const run = async (t: Transaction) =>
      (await queryInTransaction<Row>(t, sql, bind, TURN_TIMEOUT_MS))[0];
    return transaction ? run(transaction) : this.sequelize.transaction(run);
  }
}

/** A capture's or a void's result, or its refusal. */
function settled(holdId: number, row: HoldOperationRow): HoldChange {
  if (row.outcome === 'hold_not_found') {
    throw new HoldNotFoundError(holdId);
  }
  if (row.outcome === 'hold_not_active') {
    throw new HoldNotActiveError(holdId, row.status!);
  }
  return holdChange(row);
}

function holdChange(row: HoldOperationRow): HoldChange {
  return {
    hold: holdOf(row as HoldRow),
    balance: row.balance!,
    available: available(row.balance!, row.held!),
  };
}

function holdOf(row: HoldRow): Hold {
  return {
    id: row.id,
    userId: row.user_id,
    amount: row.amount,
    status: row.status,
    capturedAmount: row.captured_amount,
    expiresAt: row.expires_at,
    createdAt: row.created_at,
    reference: row.reference,
    description: row.description,
    transactionId: row.transaction_id,
  };
}
