import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/sequelize';
import { Sequelize } from 'sequelize-typescript';
import { BalanceResponse, UserResponse } from './dto/user.response';
import { User } from './user.model';
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
   * Credits (amount > 0) or debits (amount < 0) a user. The row lock serializes every change
   * of this user's balance, across all instances, until the commit; the check runs under it.
   */
  async changeBalance(
    userId: number,
    amount: number,
  ): Promise<BalanceResponse> {
    return this.sequelize.transaction(async (transaction) => {
      const user = await this.users.findByPk(userId, {
        transaction,
        lock: transaction.LOCK.UPDATE,
      });
      if (!user) {
        throw new UserNotFoundError(userId);
      }
      const balance = user.balance + amount;
      if (balance < 0) {
        throw new InsufficientFundsError(userId, user.balance, amount);
      }
      if (balance > Number.MAX_SAFE_INTEGER) {
        throw new BalanceLimitExceededError(userId);
      }
      await user.update(
        { balance, version: user.version + 1 },
        { transaction },
      );
      return { userId, balance, version: user.version };
    });
  }
}
