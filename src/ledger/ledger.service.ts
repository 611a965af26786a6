import { Injectable } from '@nestjs/common';
import type { QueryResultRow } from 'pg';
import { QueryTypes, Transaction } from 'sequelize';
import { Sequelize } from 'sequelize-typescript';
import { ValidationFailedError } from '../common/domain.error';
import { queryInTransaction } from '../database/transaction-query';
import {
  BalanceLimitExceededError,
  InsufficientFundsError,
  UserNotFoundError,
} from './ledger.errors';
import type {
  BalanceChange,
  BalanceTransaction,
  OpenedAccount,
  Transfer,
} from './ledger.results';
import {
  type BalanceTransactionRow,
  CHANGE_BALANCE,
  type ChangeBalanceRow,
  HISTORY,
  OPEN_ACCOUNT,
  type OpenAccountRow,
  TRANSFER,
  type TransferRow,
  USER_EXISTS,
} from './ledger.sql';

/**
 * How long an operation may wait for its answer. It waits for its users' row locks, and a hot
 * user's lock is a queue: under a burst on a busy machine the holders ahead release it only as
 * fast as their processes get to send COMMIT, so the wait can pass the 10 s that bound every
 * other query (which tell a frozen server). A request waits for its turn at a row as long as
 * the default wait for a connection.
 */
const TURN_TIMEOUT_MS = 60_000;

/**
 * The only way a balance changes or the ledger grows. Each operation is one call of its SQL
 * function (the rules, the row locks in one order, the writes) in a managed transaction: the
 * caller's, when it has one (an idempotency key's), else one of its own. Under a hot user's row
 * lock that is one round trip and the commit.
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

  /** Credits (amount > 0) or debits (amount < 0) a user. */
  async changeBalance(
    userId: number,
    amount: number,
    transaction?: Transaction,
  ): Promise<BalanceChange> {
    const row = await this.call<ChangeBalanceRow>(
      CHANGE_BALANCE,
      [userId, amount],
      transaction,
    );
    switch (row.outcome) {
      case 'applied':
        return {
          userId,
          balance: row.balance,
          version: row.version!,
          transactionId: row.transaction_id!,
        };
      case 'user_not_found':
        throw new UserNotFoundError(userId);
      case 'insufficient_funds':
        throw new InsufficientFundsError(userId, row.balance, -amount);
      case 'balance_limit_exceeded':
        throw new BalanceLimitExceededError(userId);
    }
  }

  /** Moves `amount` (> 0) from one user to another, all or nothing. */
  async transfer(
    fromUserId: number,
    toUserId: number,
    amount: number,
    transaction?: Transaction,
  ): Promise<Transfer> {
    if (fromUserId === toUserId) {
      throw new ValidationFailedError('A transfer needs two different users');
    }
    const row = await this.call<TransferRow>(
      TRANSFER,
      [fromUserId, toUserId, amount],
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
        };
      case 'user_not_found':
        throw new UserNotFoundError(row.missing_user_id!);
      case 'insufficient_funds':
        throw new InsufficientFundsError(fromUserId, row.from_balance, amount);
      case 'balance_limit_exceeded':
        throw new BalanceLimitExceededError(toUserId);
    }
  }

  /** Up to `limit` of a user's balance transactions older than `before`, newest first. */
  async history(
    userId: number,
    limit: number,
    before?: number,
  ): Promise<BalanceTransaction[]> {
    const rows = await this.sequelize.query<BalanceTransactionRow>(HISTORY, {
      bind: [userId, before ?? null, limit],
      type: QueryTypes.SELECT,
    });
    if (rows.length === 0 && !(await this.userExists(userId))) {
      throw new UserNotFoundError(userId);
    }
    return rows.map((row) => ({
      id: row.id,
      userId: row.user_id,
      amount: row.amount,
      balanceAfter: row.balance_after,
      type: row.type,
      transferId: row.transfer_id,
      createdAt: row.created_at,
    }));
  }

  private async userExists(userId: number): Promise<boolean> {
    const rows = await this.sequelize.query(USER_EXISTS, {
      bind: [userId],
      type: QueryTypes.SELECT,
    });
    return rows.length > 0;
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
