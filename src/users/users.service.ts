import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/sequelize';
import { QueryTypes } from 'sequelize';
import { Sequelize } from 'sequelize-typescript';
import { ValidationFailedError } from '../common/domain.error';
import type { IdempotencyKey } from '../idempotency/idempotency-key.decorator';
import { IdempotencyService } from '../idempotency/idempotency.service';
import { Replayed } from '../idempotency/replayed';
import {
  TransactionPage,
  TransactionResponse,
} from './dto/transaction.response';
import { BalanceResponse, UserResponse } from './dto/user.response';
import { User } from './user.model';
import {
  BalanceLimitExceededError,
  InsufficientFundsError,
  UserNotFoundError,
} from './users.errors';
import {
  BalanceChangeRow,
  BalanceChangeRows,
  changeBalanceSql,
  CREATE_USER_SQL,
  HISTORY_SQL,
  LedgerEntryRow,
  UserRow,
} from './users.sql';

@Injectable()
export class UsersService {
  constructor(
    @InjectModel(User) private readonly users: typeof User,
    private readonly sequelize: Sequelize,
    private readonly idempotency: IdempotencyService,
  ) {}

  async findOne(id: number): Promise<UserResponse> {
    const user = await this.users.findByPk(id);
    if (!user) {
      throw new UserNotFoundError(id);
    }
    return UserResponse.of(user);
  }

  /** Creates a user whose opening balance is its first ledger entry. */
  async create(
    balance: number,
    idempotencyKey?: IdempotencyKey,
  ): Promise<UserResponse | Replayed<UserResponse>> {
    return this.sequelize.transaction(async (transaction) => {
      const replay = await this.idempotency.claim(
        transaction,
        idempotencyKey,
        (stored: UserRow) => UserResponse.of(stored),
      );
      if (replay) {
        return replay;
      }
      const [user] = await this.sequelize.query<UserRow>(CREATE_USER_SQL, {
        bind: [balance, idempotencyKey?.key ?? null],
        transaction,
        type: QueryTypes.SELECT,
      });
      return UserResponse.of(user);
    });
  }

  /**
   * Credits (amount > 0) or debits (amount < 0) a user in a managed transaction: the row
   * lock serializes every change of this balance, across all instances, until the commit;
   * the check, the write and the ledger entry happen under it, in one round trip.
   */
  async changeBalance(
    userId: number,
    amount: number,
    idempotencyKey?: IdempotencyKey,
  ): Promise<BalanceResponse | Replayed<BalanceResponse>> {
    return this.sequelize.transaction(async (transaction) => {
      const replay = await this.idempotency.claim(
        transaction,
        idempotencyKey,
        (stored: BalanceChangeRow) => BalanceResponse.of(stored),
      );
      if (replay) {
        return replay;
      }
      // Both statements' rows, concatenated by Sequelize: see changeBalanceSql.
      const [locked, applied] = (await this.sequelize.query(
        changeBalanceSql(userId, amount, idempotencyKey?.key ?? null),
        { transaction, type: QueryTypes.SELECT },
      )) as BalanceChangeRows;
      if (!locked) {
        throw new UserNotFoundError(userId);
      }
      if (!applied) {
        // Under the lock, the balance cannot have moved: a debit was short, or a credit too big.
        throw amount < 0
          ? new InsufficientFundsError(userId, locked.locked_balance, amount)
          : new BalanceLimitExceededError(userId);
      }
      return BalanceResponse.of(applied);
    });
  }

  /** A page of the user's ledger, newest first, by keyset on the entry id. */
  async history(
    userId: number,
    limit: number,
    cursor?: string,
  ): Promise<TransactionPage> {
    const entries = await this.sequelize.query<LedgerEntryRow>(HISTORY_SQL, {
      bind: [
        userId,
        cursor === undefined ? null : decodeCursor(cursor),
        limit + 1,
      ],
      type: QueryTypes.SELECT,
    });
    if (entries.length === 0 && !(await this.users.findByPk(userId))) {
      throw new UserNotFoundError(userId);
    }
    const page = entries.slice(0, limit);
    return {
      items: page.map((entry) => TransactionResponse.of(entry)),
      nextCursor:
        entries.length > limit ? encodeCursor(page[page.length - 1].id) : null,
    };
  }
}

/** Cursors are opaque to clients: the id of the last entry seen, base64url-encoded. */
function encodeCursor(id: number): string {
  return Buffer.from(String(id)).toString('base64url');
}

function decodeCursor(cursor: string): number {
  const id = Buffer.from(cursor, 'base64url').toString();
  if (!/^[1-9][0-9]{0,15}$/.test(id)) {
    throw new ValidationFailedError('cursor is not a cursor this service gave');
  }
  return Number(id);
}
