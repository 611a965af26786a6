import { HttpStatus } from '@nestjs/common';
import { domainError } from '../common/domain.error';
import { available } from './ledger.results';
import type { HoldStatus } from './ledger.sql';

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

export class HoldNotFoundError extends domainError({
  code: 'HOLD_NOT_FOUND',
  status: HttpStatus.NOT_FOUND,
  example: { message: 'Hold 7 does not exist' },
}) {
  constructor(holdId: number) {
    super(`Hold ${holdId} does not exist`);
  }
}

export class HoldNotActiveError extends domainError({
  code: 'HOLD_NOT_ACTIVE',
  status: HttpStatus.CONFLICT,
  example: {
    message: 'Hold 7 is captured, no longer active',
    status: 'captured',
  },
}) {
  constructor(holdId: number, status: HoldStatus) {
    super(`Hold ${holdId} is ${status}, no longer active`);
    this.details.status = status;
  }
}

export class CaptureExceedsHoldError extends domainError({
  code: 'CAPTURE_EXCEEDS_HOLD',
  status: HttpStatus.UNPROCESSABLE_ENTITY,
  example: { message: 'Hold 7 holds 200; a capture of 250 exceeds it' },
}) {
  constructor(holdId: number, held: number, capture: number) {
    super(`Hold ${holdId} holds ${held}; a capture of ${capture} exceeds it`);
  }
}

/** Every refusal of a ledger operation, for the API docs of the routes that call one. */
export const LEDGER_REFUSALS = [
  UserNotFoundError,
  InsufficientFundsError,
  BalanceLimitExceededError,
];

/** What `POST /users/:id/holds` may be refused with. */
export const PLACE_HOLD_REFUSALS = [UserNotFoundError, InsufficientFundsError];

/** What `POST /holds/:id/void` may be refused with. */
export const VOID_HOLD_REFUSALS = [HoldNotFoundError, HoldNotActiveError];

/** What `POST /holds/:id/capture` may be refused with. */
export const CAPTURE_HOLD_REFUSALS = [
  ...VOID_HOLD_REFUSALS,
  CaptureExceedsHoldError,
];
