import { HttpStatus } from '@nestjs/common';
import { domainError } from '../common/domain.error';
import {
  InsufficientFundsError,
  UserNotFoundError,
} from '../users/users.errors';
import type { HoldStatus } from './hold.model';

export class HoldNotFoundError extends domainError({
  code: 'HOLD_NOT_FOUND',
  status: HttpStatus.NOT_FOUND,
  outcome: 'not_found',
  example: { message: 'Hold 7 does not exist' },
}) {
  constructor(holdId: number) {
    super(`Hold ${holdId} does not exist`);
  }
}

export class HoldNotActiveError extends domainError({
  code: 'HOLD_NOT_ACTIVE',
  status: HttpStatus.CONFLICT,
  outcome: 'not_active',
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
  outcome: 'exceeds_hold',
  example: { message: 'Hold 7 holds 200; a capture of 250 exceeds it' },
}) {
  constructor(holdId: number, held: number, capture: number) {
    super(`Hold ${holdId} holds ${held}; a capture of ${capture} exceeds it`);
  }
}

/** What `POST /users/:id/holds` may be refused with. */
export const PLACE_HOLD_REFUSALS = [UserNotFoundError, InsufficientFundsError];

/** What `POST /holds/:id/void` may be refused with. */
export const VOID_HOLD_REFUSALS = [HoldNotFoundError, HoldNotActiveError];

/** What `POST /holds/:id/capture` may be refused with. */
export const CAPTURE_HOLD_REFUSALS = [
  ...VOID_HOLD_REFUSALS,
  CaptureExceedsHoldError,
];
