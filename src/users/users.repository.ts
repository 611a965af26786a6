import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/sequelize';
import { literal, Op, type Transaction, type WhereOptions } from 'sequelize';
import { Sequelize } from 'sequelize-typescript';
import type { Annotation } from '../common/annotation.dto';
import { keysetPage, type Page, type PageRequest } from '../common/keyset-page';
import { inTransaction, SqlFunction } from '../database/sql-function';
import { EventsListener } from '../events/events-listener';
import {
  BalanceTransaction,
  type BalanceTransactionAttributes,
} from './balance-transaction.model';
import { available, User } from './user.model';
import {
  BalanceLimitExceededError,
  InsufficientFundsError,
  UserNotFoundError,
} from './users.errors';

/** A user's money now: `available` = `balance` - `held` (its active holds). */
export interface UserBalance {
  userId: number;
  balance: number;
  held: number;
  available: number;
  version: number;
}

export interface BalanceChange extends Annotation {
  userId: number;
  balance: number;
  version: number;
  /** The balance transaction that records it. */
  transactionId: number;
}

const CREATE_USER = new SqlFunction<
  { balance: number },
  { user_id: number; balance: number; version: number; transaction_id: number }
>('ledger_create_user', { balance: 'p_balance' });

const CHANGE_BALANCE = new SqlFunction<
  { userId: number; amount: number } & Annotation,
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
    transaction?: Transaction,
  ): Promise<UserBalance> {
    const row = await inTransaction(this.sequelize, transaction, async (t) =>
      this.events.wakeIfApplied(t, await CREATE_USER.call(t, { balance })),
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
    transaction?: Transaction,
  ): Promise<BalanceChange> {
    const row = await inTransaction(this.sequelize, transaction, async (t) =>
      this.events.wakeIfApplied(
        t,
        await CHANGE_BALANCE.call(t, { userId, amount, ...annotation }),
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

  /** A page of a user's balance transactions, newest first, only those with `reference` if given. */
  async balanceTransactions(
    userId: number,
    { limit, cursor, reference }: PageRequest & { reference?: string },
  ): Promise<Page<BalanceTransactionAttributes>> {
    return keysetPage(limit, cursor, async (count, before) => {
      const where: WhereOptions<BalanceTransactionAttributes> = {
        userId,
        ...(before === undefined ? {} : { id: { [Op.lt]: before } }),
        ...(reference === undefined ? {} : { reference }),
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
