import { HttpStatus } from '@nestjs/common';

/** What the catalogue says of one error code: its status, and an example for the API docs. */
export interface ErrorSpec {
  /** Stable: clients branch on it, never on messages. */
  code: string;
  status: number;
  example: { message: string; [detail: string]: unknown };
}

const catalogue = new Map<string, ErrorSpec>();

/** Every code declared so far, by code: the exception filter and the API docs read it. */
export function errorCatalogue(): ReadonlyMap<string, ErrorSpec> {
  return catalogue;
}

/**
 * A refusal the service means to give. Services throw these, never HTTP exceptions; the one
 * exception filter answers them with their status and code. Expected refusals are part of
 * normal traffic (half of the acceptance burst), so they capture no stack trace.
 */
export abstract class DomainError extends Error {
  abstract readonly code: string;
  abstract readonly status: number;

  /** Extra fields for the response body, e.g. the current balance. */
  readonly details: Record<string, unknown> = {};

  constructor(message: string) {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = limit;
  }
}

/** A domain error class, as `ApiErrorResponses` and the catalogue see it. */
export interface DomainErrorClass {
  readonly spec: ErrorSpec;
}

/**
 * Declares an error code, once, where its module defines it: the base class of that code's
 * error, which registers it in the catalogue that the filter and the API docs read.
 *
 *     export class InsufficientFundsError extends domainError({ code: 'INSUFFICIENT_FUNDS', … }) {}
 */
export function domainError(spec: ErrorSpec) {
  if (catalogue.has(spec.code)) {
    throw new Error(`Error code ${spec.code} is declared twice`);
  }
  catalogue.set(spec.code, spec);
  abstract class CodedError extends DomainError {
    static readonly spec = spec;
    readonly code = spec.code;
    readonly status = spec.status;
  }
  return CodedError;
}

export class ValidationFailedError extends domainError({
  code: 'VALIDATION_FAILED',
  status: HttpStatus.BAD_REQUEST,
  example: { message: 'amount must be an integer number' },
}) {}
