import { DomainError } from '../common/domain.error';

export class UserNotFoundError extends DomainError {
  readonly code = 'USER_NOT_FOUND';

  constructor(userId: number) {
    super(`User ${userId} does not exist`);
  }
}

export class InsufficientFundsError extends DomainError {
  readonly code = 'INSUFFICIENT_FUNDS';

  constructor(userId: number, balance: number, amount: number) {
    super(
      `User ${userId} has a balance of ${balance}, less than the debit of ${-amount}`,
    );
    this.details.balance = balance;
  }
}

export class BalanceLimitExceededError extends DomainError {
  readonly code = 'BALANCE_LIMIT_EXCEEDED';

  constructor(userId: number) {
    super(
      `A balance cannot exceed ${Number.MAX_SAFE_INTEGER}; the credit to user ${userId} would pass it`,
    );
  }
}
