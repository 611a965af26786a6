import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/sequelize';
import { QueryTypes } from 'sequelize';
import { Sequelize } from 'sequelize-typescript';
import { BalanceResponse, UserResponse } from './dto/user.response';
import { User } from './user.model';
import { BalanceChangeRow, CHANGE_BALANCE_SQL } from './users.sql';
import {
  BalanceLimitExceededError,
  InsufficientFundsError,
  UserNotFoundError,
} from './users.errors';

@Injectable()
export class UsersService {
  constructor(
    @InjectModel(User) private readonly users: typeof User,
    private readonly sequelize: Sequelize,
  ) {}

  async findOne(id: number): Promise<UserResponse> {
    const user = await this.users.findByPk(id);
    if (!user) {
      throw new UserNotFoundError(id);
    }
    return UserResponse.of(user);
  }

  /**
   * Credits (amount > 0) or debits (amount < 0) a user, in one statement inside a managed
   * transaction: the user's row lock serializes every change of this balance, across all
   * instances, until the commit, and the check and the ledger entry happen under it.
   */
  async changeBalance(
    userId: number,
    amount: number,
  ): Promise<BalanceResponse> {
    return this.sequelize.transaction(async (transaction) => {
      const [row] = await this.sequelize.query<BalanceChangeRow>(
        CHANGE_BALANCE_SQL,
        {
          bind: [userId, amount, null],
          transaction,
          type: QueryTypes.SELECT,
        },
      );
      if (!row) {
        throw new UserNotFoundError(userId);
      }
      if (row.transaction_id === null) {
        throw row.balance_before + amount < 0
          ? new InsufficientFundsError(userId, row.balance_before, amount)
          : new BalanceLimitExceededError(userId);
      }
      return BalanceResponse.of(row);
    });
  }
}
