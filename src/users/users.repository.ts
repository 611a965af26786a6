import { HttpStatus, Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/sequelize';
import { literal, Op, type Transaction, type WhereOptions } from 'sequelize';
import { Sequelize } from 'sequelize-typescript';
import type { Annotation, Attribution } from '../common/annotation.dto';
import { domainError } from '../common/domain.error';
import { keysetPage, type Page, type PageRequest } from '../common/keyset-page';
import { inTransaction, SqlFunction } from '../database/sql-function';
import type { Caller } from '../security/caller.decorator';
import { EventsListener } from '../events/events-listener';
import {
  BalanceTransaction,
  type BalanceTransactionAttributes,
} from './balance-transaction.model';
import { available, User } from './user.model';

/** A user's money now: `available` = `balance` - `held` (its active holds). */
export interface UserBalance {
  userId: number;
  balance: number;
  held: number;
  available: number;
  version: number;
}

export interface BalanceChange extends Annotation, Attribution {
  userId: number;
  balance: number;
  version: number;
  /** The balance transaction that records it. */
  transactionId: number;
}

/** A user's balance right after its last balance transaction at or before `at`. */
export interface BalanceAt {
  userId: number;
  at: string;
  balance: number;
  version: number;
  /** That balance transaction; null before the user's opening entry. */
  transactionId: number | null;
}

const CREATE_USER = new SqlFunction<
  { balance: number } & Caller,
  { user_id: number; balance: number; version: number; transaction_id: number }
>('ledger_create_user', {
  balance: 'p_balance',
  actor: 'p_actor',
  requestId: 'p_request_id',
});

const CHANGE_BALANCE = new SqlFunction<
  { userId: number; amount: number } & Annotation & Caller,
  | {
      outcome: 'applied';
      balance: number;
      version: number;
      transaction_id: number;
    }
  | { outcome: 'insufficient_funds'; balance: number; held: number }
  | { outcome: 'user_not_found' | 'balance_limit_exceeded' }
>('ledger_change_balance', {
  userId: 'p_user_id',
  amount: 'p_amount',
  reference: 'p_reference',
  description: 'p_description',
  actor: 'p_actor',
  requestId: 'p_request_id',
});

const BALANCE_AT = new SqlFunction<
  { userId: number; at: string },
  | {
      outcome: 'found';
      balance: number;
      version: number;
      transaction_id: number | null;
    }
  | { outcome: 'user_not_found' }
>('ledger_balance_at', { userId: 'p_user_id', at: 'p_at' });

const REVERSE_TRANSACTION = new SqlFunction<
  { transactionId: number } & Annotation & Caller,
  | {
      outcome: 'applied';
      user_id: number;
      amount: number;
      balance: number;
      transaction_id: number;
      created_at: Date;
    }
  | { outcome: 'transaction_not_found' }
  | { outcome: 'balance_limit_exceeded'; user_id: number }
  | { outcome: 'not_reversible'; original_type: string }
  | { outcome: 'already_reversed'; reversal_id: number }
  | {
      outcome: 'insufficient_funds';
      user_id: number;
      amount: number;
      balance: number;
      held: number;
    }
>('ledger_reverse_transaction', {
  transactionId: 'p_transaction_id',
  reference: 'p_reference',
  description: 'p_description',
  actor: 'p_actor',
  requestId: 'p_request_id',
});

/** What the user's active holds set aside now, as `ledger_held` reads it. */
const HELD_NOW = literal('ledger_held(id, held_until, now())');

/**
 * Users and their ledger. A change of a balance is one call of `ledger_change_balance`
 * (db/functions) in a managed Sequelize transaction: the function locks the user's row with
 * `SELECT … FOR UPDATE` (`ledger_lock_users`, the one place users are locked), checks the
 * change against the balance and what its holds set aside, updates the row and appends the
 * balance transaction; the commit releases the lock. Under a hot user's lock that is one round
 * trip and the commit. Reads go through the models.
 */
@Injectable()
export class UsersRepository {
  constructor(
    private readonly sequelize: Sequelize,
    @InjectModel(User) private readonly users: typeof User,
    @InjectModel(BalanceTransaction)
    private readonly transactions: typeof BalanceTransaction,
    private readonly events: EventsListener,
  ) {}

  /** A new user whose opening balance is its first balance transaction. */
  async create(
    balance: number,
    caller: Caller,
    transaction?: Transaction,
  ): Promise<UserBalance> {
    const row = await inTransaction(this.sequelize, transaction, async (t) =>
      this.events.wakeIfApplied(
        t,
        await CREATE_USER.call(t, { balance, ...caller }),
      ),
    );
    return {
      userId: row.user_id,
      balance: row.balance,
      held: 0,
      available: available(row.balance, 0),
      version: row.version,
    };
  }

  /** A user's balance and what its holds set aside now. */
  async findOne(userId: number): Promise<UserBalance> {
    const user = await this.users.findByPk(userId, {
      attributes: ['balance', 'version', [HELD_NOW, 'held']],
    });
    if (!user) {
      throw new UserNotFoundError(userId);
    }
    const held = user.get('held') as number;
    return {
      userId,
      balance: user.balance,
      held,
      available: available(user.balance, held),
      version: user.version,
    };
  }

  /** Credits (amount > 0) or debits (amount < 0, from what is available) a user. */
  async changeBalance(
    userId: number,
    amount: number,
    annotation: Annotation,
    caller: Caller,
    transaction?: Transaction,
  ): Promise<BalanceChange> {
    const row = await inTransaction(this.sequelize, transaction, async (t) =>
      this.events.wakeIfApplied(
        t,
        await CHANGE_BALANCE.call(t, {
          userId,
          amount,
          ...annotation,
          ...caller,
        }),
      ),
    );
    switch (row.outcome) {
      case 'applied':
        return {
          userId,
          balance: row.balance,
          version: row.version,
          transactionId: row.transaction_id,
          ...annotation,
          ...caller,
        };
      case 'user_not_found':
        throw new UserNotFoundError(userId);
      case 'insufficient_funds':
        throw new InsufficientFundsError(
          userId,
          row.balance,
          row.held,
          -amount,
        );
      case 'balance_limit_exceeded':
        throw new BalanceLimitExceededError(userId);
    }
  }

  /**
   * A user's balance and version right after its last balance transaction at or before `at`
   * (an RFC 3339 timestamp, passed to PostgreSQL as given, to the microsecond).
   */
  async balanceAt(userId: number, at: string): Promise<BalanceAt> {
    const row = await BALANCE_AT.read(this.sequelize, { userId, at });
    if (row.outcome === 'user_not_found') {
      throw new UserNotFoundError(userId);
    }
    return {
      userId,
      at,
      balance: row.balance,
      version: row.version,
      transactionId: row.transaction_id,
    };
  }

  /** One balance transaction. */
  async findTransaction(
    transactionId: number,
  ): Promise<BalanceTransactionAttributes> {
    const entry = await this.transactions.findByPk(transactionId);
    if (!entry) {
      throw new TransactionNotFoundError(transactionId);
    }
    return entry.get({ plain: true });
  }

  /**
   * Reverses a credit, a debit or a capture, once: a `reversal` of the opposite amount under
   * the user's row lock; one that takes money takes it from what is available.
   */
  async reverseTransaction(
    transactionId: number,
    annotation: Annotation,
    caller: Caller,
    transaction?: Transaction,
  ): Promise<BalanceTransactionAttributes> {
    const row = await inTransaction(this.sequelize, transaction, async (t) =>
      this.events.wakeIfApplied(
        t,
        await REVERSE_TRANSACTION.call(t, {
          transactionId,
          ...annotation,
          ...caller,
        }),
      ),
    );
    const what = `Balance transaction ${transactionId}`;
    switch (row.outcome) {
      case 'applied':
        return {
          id: row.transaction_id,
          userId: row.user_id,
          amount: row.amount,
          balanceAfter: row.balance,
          type: 'reversal',
          transferId: null,
          holdId: null,
          reversalOf: transactionId,
          ...annotation,
          ...caller,
          createdAt: row.created_at,
        };
      case 'transaction_not_found':
        throw new TransactionNotFoundError(transactionId);
      case 'not_reversible':
        throw new NotReversibleError(
          `${what} is of type ${row.original_type}: only credits, debits and captures are reversed on their own`,
        );
      case 'already_reversed':
        throw new AlreadyReversedError(what, row.reversal_id);
      case 'insufficient_funds':
        throw new InsufficientFundsError(
          row.user_id,
          row.balance,
          row.held,
          -row.amount,
        );
      case 'balance_limit_exceeded':
        throw new BalanceLimitExceededError(row.user_id);
    }
  }

  /**
   * A page of a user's balance transactions, newest first, only those with `reference` and
   * made by `actor` if given.
   */
  async balanceTransactions(
    userId: number,
    {
      limit,
      cursor,
      reference,
      actor,
    }: PageRequest & { reference?: string; actor?: string },
  ): Promise<Page<BalanceTransactionAttributes>> {
    return keysetPage(limit, cursor, async (count, before) => {
      const where: WhereOptions<BalanceTransactionAttributes> = {
        userId,
        ...(before === undefined ? {} : { id: { [Op.lt]: before } }),
        ...(reference === undefined ? {} : { reference }),
        ...(actor === undefined ? {} : { actor }),
      };
      const rows = await this.transactions.findAll({
        where,
        order: [['id', 'DESC']],
        limit: count,
      });
      if (rows.length === 0) {
        await this.expectUser(userId);
      }
      return rows.map((row) => row.get({ plain: true }));
    });
  }

  /** An empty listing of a user that does not exist is a 404, not an empty page. */
  async expectUser(userId: number): Promise<void> {
    if ((await this.users.count({ where: { id: userId } })) === 0) {
      throw new UserNotFoundError(userId);
    }
  }
}

// The refusals of users' balances and balance transactions, thrown above and by the other
// repositories whose SQL functions lock users.

export class UserNotFoundError extends domainError({
  code: 'USER_NOT_FOUND',
  status: HttpStatus.NOT_FOUND,
  outcome: 'not_found',
  example: { message: 'User 7 does not exist' },
}) {
  constructor(userId: number) {
    super(`User ${userId} does not exist`);
  }
}

export class InsufficientFundsError extends domainError({
  code: 'INSUFFICIENT_FUNDS',
  status: HttpStatus.CONFLICT,
  outcome: 'insufficient_funds',
  example: {
    message: 'User 1 has 1 available (balance 201, 200 held), less than 2',
    balance: 201,
    available: 1,
  },
}) {
  /** `amount`: what the debit, transfer or hold asked to take from what is available. */
  constructor(userId: number, balance: number, held: number, amount: number) {
    super(
      `User ${userId} has ${available(balance, held)} available (balance ${balance}, ${held} held), less than ${amount}`,
    );
    this.details.balance = balance;
    this.details.available = available(balance, held);
  }
}

export class BalanceLimitExceededError extends domainError({
  code: 'BALANCE_LIMIT_EXCEEDED',
  status: HttpStatus.UNPROCESSABLE_ENTITY,
  outcome: 'limit_exceeded',
  example: {
    message:
      'A balance cannot exceed 9007199254740991; the credit to user 1 would pass it',
  },
}) {
  constructor(userId: number) {
    super(
      `A balance cannot exceed ${Number.MAX_SAFE_INTEGER}; the credit to user ${userId} would pass it`,
    );
  }
}

export class TransactionNotFoundError extends domainError({
  code: 'TRANSACTION_NOT_FOUND',
  status: HttpStatus.NOT_FOUND,
  outcome: 'not_found',
  example: { message: 'Balance transaction 7 does not exist' },
}) {
  constructor(transactionId: number) {
    super(`Balance transaction ${transactionId} does not exist`);
  }
}

export class AlreadyReversedError extends domainError({
  code: 'ALREADY_REVERSED',
  status: HttpStatus.CONFLICT,
  outcome: 'already_reversed',
  example: {
    message: 'Balance transaction 7 was already reversed by 12',
    reversalId: 12,
  },
}) {
  /** `what`: "Balance transaction 7" or "Transfer 3"; `reversalId`: its reversal's id. */
  constructor(what: string, reversalId: number) {
    super(`${what} was already reversed by ${reversalId}`);
    this.details.reversalId = reversalId;
  }
}

export class NotReversibleError extends domainError({
  code: 'NOT_REVERSIBLE',
  status: HttpStatus.UNPROCESSABLE_ENTITY,
  outcome: 'not_reversible',
  example: {
    message:
      'Balance transaction 7 is a transfer_in: only credits, debits and captures are reversed on their own',
  },
}) {}

/** What a change of a balance (a credit, a debit, a transfer) may be refused with. */
export const BALANCE_CHANGE_REFUSALS = [
  UserNotFoundError,
  InsufficientFundsError,
  BalanceLimitExceededError,
];

/** What `POST /transactions/:id/reverse` may be refused with. */
export const REVERSE_TRANSACTION_REFUSALS = [
  TransactionNotFoundError,
  AlreadyReversedError,
  NotReversibleError,
  InsufficientFundsError,
  BalanceLimitExceededError,
];
