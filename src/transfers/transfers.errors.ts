import { HttpStatus } from '@nestjs/common';
import { domainError } from '../common/domain.error';
import {
  AlreadyReversedError,
  BalanceLimitExceededError,
  InsufficientFundsError,
  NotReversibleError,
} from '../users/users.errors';

export class TransferNotFoundError extends domainError({
  code: 'TRANSFER_NOT_FOUND',
  status: HttpStatus.NOT_FOUND,
  outcome: 'not_found',
  example: { message: 'Transfer 3 does not exist' },
}) {
  constructor(transferId: number) {
    super(`Transfer ${transferId} does not exist`);
  }
}

/** What `POST /transfers/:id/reverse` may be refused with. */
export const REVERSE_TRANSFER_REFUSALS = [
  TransferNotFoundError,
  AlreadyReversedError,
  NotReversibleError,
  InsufficientFundsError,
  BalanceLimitExceededError,
];
