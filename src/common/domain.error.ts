import { HttpStatus } from '@nestjs/common';

/** What the catalogue says of one error code: its status, and an example for the API docs. */
export interface ErrorSpec {
  /** Stable: clients branch on it, never on messages. */
  code: string;
  status: number;
  example: { message: string; [detail: string]: unknown };
  /** The `outcome` label it counts as on a money route's counter (see `/metrics`); else `other`. */
  outcome?: string;
}

/**
 * A refusal the service means to give. Services throw these, never HTTP exceptions; the one
 * exception filter answers them with their status and code.
 */
export abstract class DomainError extends Error {
  abstract readonly code: string;
  abstract readonly status: number;
  abstract readonly outcome: string | undefined;

  /** Extra fields for the response body, e.g. the current balance. */
  readonly details: Record<string, unknown> = {};
}

/** A domain error class, as `ApiErrorResponses` sees it. */
export interface DomainErrorClass {
  readonly spec: ErrorSpec;
}

/**
 * Declares an error code where its module defines it: the base class of that code's error,
 * carrying the spec that the filter answers with and the API docs show.
 *
 *     export class InsufficientFundsError extends domainError({ code: 'INSUFFICIENT_FUNDS', … }) {}
 */
export function domainError(spec: ErrorSpec) {
  abstract class CodedError extends DomainError {
    static readonly spec = spec;
    readonly code = spec.code;
    readonly status = spec.status;
    readonly outcome = spec.outcome;
  }
  return CodedError;
}

export class ValidationFailedError extends domainError({
  code: 'VALIDATION_FAILED',
  status: HttpStatus.BAD_REQUEST,
  outcome: 'validation',
  example: { message: 'amount must be an integer number' },
}) {}
