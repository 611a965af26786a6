import { DomainError } from '../common/domain.error';

export class IdempotencyKeyReusedError extends DomainError {
  readonly code = 'IDEMPOTENCY_KEY_REUSED';

  constructor() {
    super(
      'This Idempotency-Key was used for a different request (method, path or body)',
    );
  }
}

export class IdempotencyKeyInUseError extends DomainError {
  readonly code = 'IDEMPOTENCY_KEY_IN_USE';

  constructor() {
    super(
      'A request with this Idempotency-Key is still in flight; retry with the same key',
    );
  }
}
