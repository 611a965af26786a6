import { HttpStatus } from '@nestjs/common';
import { domainError } from '../common/domain.error';
import { available } from './user.model';

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
