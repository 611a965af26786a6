/** The stable codes of the error catalogue; clients branch on these, never on messages. */
export type ErrorCode =
  | 'VALIDATION_FAILED'
  | 'UNAUTHORIZED'
  | 'NOT_FOUND'
  | 'USER_NOT_FOUND'
  | 'INSUFFICIENT_FUNDS'
  | 'IDEMPOTENCY_KEY_IN_USE'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'HEADERS_TOO_LARGE'
  | 'REQUEST_TIMEOUT'
  | 'BALANCE_LIMIT_EXCEEDED'
  | 'IDEMPOTENCY_KEY_REUSED'
  | 'SERVICE_UNAVAILABLE'
  | 'INTERNAL_ERROR';

/**
 * A refusal the service means to give, with a stable code. Services throw these and never
 * HTTP exceptions; `ErrorsFilter` maps each code to its status in one place.
 */
export abstract class DomainError extends Error {
  abstract readonly code: ErrorCode;

  /** Extra fields for the response body, e.g. the current balance. */
  readonly details: Record<string, unknown> = {};
}

export class ValidationFailedError extends DomainError {
  readonly code = 'VALIDATION_FAILED';
}
