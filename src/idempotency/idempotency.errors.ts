import { HttpStatus } from '@nestjs/common';
import { domainError } from '../common/domain.error';

export class IdempotencyKeyReusedError extends domainError({
  code: 'IDEMPOTENCY_KEY_REUSED',
  status: HttpStatus.UNPROCESSABLE_ENTITY,
  example: { message: 'This Idempotency-Key was used for another request' },
}) {
  constructor() {
    super(
      'This Idempotency-Key was used for a different request (method, path or body)',
    );
  }
}

export class IdempotencyKeyInUseError extends domainError({
  code: 'IDEMPOTENCY_KEY_IN_USE',
  status: HttpStatus.CONFLICT,
  example: {
    message: 'A request with this Idempotency-Key is still in flight',
  },
}) {
  constructor() {
    super(
      'A request with this Idempotency-Key is still in flight; retry with the same key',
    );
  }
}
