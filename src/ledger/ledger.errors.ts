import { HttpStatus } from '@nestjs/common';
import { domainError } from '../common/domain.error';

export class UserNotFoundError extends domainError({
  code: 'USER_NOT_FOUND',
  status: HttpStatus.NOT_FOUND,
  example: { message: 'User 7 does not exist' },
}) {
  constructor(userId: number) {
    super(`User ${userId} does not exist`);
  }
}

export class InsufficientFundsError extends domainError({
  code: 'INSUFFICIENT_FUNDS',
  status: HttpStatus.CONFLICT,
  example: {
    message: 'User 1 has a balance of 1, less than the debit of 2',
    balance: 1,
  },
}) {
  constructor(userId: number, balance: number, debit: number) {
    super(
      `User ${userId} has a balance of ${balance}, less than the debit of ${debit}`,
    );
    this.details.balance = balance;
  }
}

export class BalanceLimitExceededError extends domainError({
  code: 'BALANCE_LIMIT_EXCEEDED',
  status: HttpStatus.UNPROCESSABLE_ENTITY,
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

/** Every refusal of a ledger operation, for the API docs of the routes that call one. */
export const LEDGER_REFUSALS = [
  UserNotFoundError,
  InsufficientFundsError,
  BalanceLimitExceededError,
];
