import { HttpStatus } from '@nestjs/common';
import { domainError } from './domain.error';

/** The codes of refusals that come from HTTP itself or from the database being out of reach. */

export class RouteNotFoundError extends domainError({
  code: 'NOT_FOUND',
  status: HttpStatus.NOT_FOUND,
  example: { message: 'Cannot GET /nowhere' },
}) {}

export class PayloadTooLargeError extends domainError({
  code: 'PAYLOAD_TOO_LARGE',
  status: HttpStatus.PAYLOAD_TOO_LARGE,
  example: { message: 'request entity too large' },
}) {}

export class UnsupportedMediaTypeError extends domainError({
  code: 'UNSUPPORTED_MEDIA_TYPE',
  status: HttpStatus.UNSUPPORTED_MEDIA_TYPE,
  example: { message: 'The body must be application/json, in UTF-8' },
}) {}

/** Answered by `answerClientErrors` when Node's HTTP parser refuses a request's headers. */
export class HeadersTooLargeError extends domainError({
  code: 'HEADERS_TOO_LARGE',
  // Not in Nest's HttpStatus.
  status: 431,
  example: {
    message: 'The request headers are over the limit of 16384 bytes',
  },
}) {}

/** Answered by `answerClientErrors` when a request does not arrive within Node's timeouts. */
export class RequestTimeoutError extends domainError({
  code: 'REQUEST_TIMEOUT',
  status: HttpStatus.REQUEST_TIMEOUT,
  example: { message: 'The request did not arrive in time' },
}) {}

export class ServiceUnavailableError extends domainError({
  code: 'SERVICE_UNAVAILABLE',
  status: HttpStatus.SERVICE_UNAVAILABLE,
  example: { message: 'The database is unavailable; retry shortly' },
}) {
  constructor() {
    super('The database is unavailable; retry shortly');
  }
}

/**
 * The connection was lost, or PostgreSQL warned that the commit was not confirmed by the
 * synchronous standby, while the change was committing: it may or may not have been applied.
 * Not a bare "retry", which a client without a key would answer with a second debit.
 */
export class OutcomeUnknownError extends domainError({
  code: 'OUTCOME_UNKNOWN',
  status: HttpStatus.SERVICE_UNAVAILABLE,
  example: {
    message:
      'The change may or may not have been applied; retry with the same Idempotency-Key for the definite answer',
  },
}) {
  constructor() {
    super(
      'The change may or may not have been applied; retry with the same Idempotency-Key for the definite answer',
    );
  }
}

export class InternalError extends domainError({
  code: 'INTERNAL_ERROR',
  status: HttpStatus.INTERNAL_SERVER_ERROR,
  example: { message: 'Internal server error' },
}) {
  constructor() {
    super('Internal server error');
  }
}

/** Refusals of HTTP itself, answered before any route: the API docs list them with the rest. */
export const HTTP_REFUSALS = [
  RouteNotFoundError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
  HeadersTooLargeError,
  RequestTimeoutError,
];
