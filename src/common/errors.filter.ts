import {
  ArgumentsHost,
  Catch,
  ExceptionFilter,
  HttpException,
  HttpStatus,
  Logger,
} from '@nestjs/common';
import type { Response } from 'express';
import { STATUS_CODES } from 'node:http';
import {
  isCommitOutcomeUnknown,
  isDatabaseUnavailable,
} from '../database/database-errors';
import {
  InternalError,
  OutcomeUnknownError,
  PayloadTooLargeError,
  RouteNotFoundError,
  ServiceUnavailableError,
  UnsupportedMediaTypeError,
} from './common.errors';
import {
  DomainError,
  type DomainErrorClass,
  type ErrorSpec,
  ValidationFailedError,
} from './domain.error';

/** The code of a refusal raised by the framework or by Express's body parser, by its status. */
const FRAMEWORK_REFUSALS: Partial<Record<number, DomainErrorClass>> = {
  [HttpStatus.BAD_REQUEST]: ValidationFailedError,
  [HttpStatus.NOT_FOUND]: RouteNotFoundError,
  [HttpStatus.PAYLOAD_TOO_LARGE]: PayloadTooLargeError,
  [HttpStatus.UNSUPPORTED_MEDIA_TYPE]: UnsupportedMediaTypeError,
  [HttpStatus.SERVICE_UNAVAILABLE]: ServiceUnavailableError,
};

const SERVICE_UNAVAILABLE: number = HttpStatus.SERVICE_UNAVAILABLE;

/** What the filter leaves on `response.locals` for the request log and metrics. */
export interface ErrorLocals {
  errorCode?: string;
  /** What a money route's counter counts it as (see `ErrorSpec.outcome`). */
  errorOutcome?: string;
}

export interface ErrorBody {
  statusCode: number;
  error: string;
  code: string;
  message: string;
  [detail: string]: unknown;
}

/** An error from Express's body parser (the `http-errors` shape); `expose` marks a safe message. */
interface ClientHttpError {
  status: number;
  expose: true;
  message: string;
}

function isClientHttpError(error: unknown): error is ClientHttpError {
  return (
    error instanceof Error &&
    (error as Partial<ClientHttpError>).expose === true &&
    typeof (error as Partial<ClientHttpError>).status === 'number'
  );
}

/**
 * The one place where errors become HTTP responses: domain codes map to statuses, framework
 * refusals get a catalogue code, an unreachable database is a 503 (OUTCOME_UNKNOWN when it went
 * away during a COMMIT), and anything else is a bug, logged in full and answered with nothing
 * internal.
 */
@Catch()
export class ErrorsFilter implements ExceptionFilter {
  private readonly logger = new Logger(ErrorsFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    const { spec, message, details } = this.toRefusal(exception);
    const locals = response.locals as ErrorLocals;
    locals.errorCode = spec.code;
    locals.errorOutcome = spec.outcome;
    // The database is out of reach, or the outcome unknown: a retry may succeed.
    if (spec.status === SERVICE_UNAVAILABLE) {
      response.setHeader('Retry-After', '1');
    }
    response
      .status(spec.status)
      .json(errorBody(spec.status, spec.code, message, details));
  }

  private toRefusal(exception: unknown): {
    spec: Omit<ErrorSpec, 'example'>;
    message: string;
    details?: Record<string, unknown>;
  } {
    if (exception instanceof DomainError) {
      return {
        spec: exception,
        message: exception.message,
        details: exception.details,
      };
    }
    const status =
      exception instanceof HttpException
        ? exception.getStatus()
        : isClientHttpError(exception)
          ? exception.status
          : undefined;
    const refusal =
      status === undefined ? undefined : FRAMEWORK_REFUSALS[status];
    if (refusal !== undefined) {
      return { spec: refusal.spec, message: (exception as Error).message };
    }
    if (isDatabaseUnavailable(exception)) {
      this.logger.warn(`Database unavailable: ${String(exception)}`);
      return this.toRefusal(
        isCommitOutcomeUnknown(exception)
          ? new OutcomeUnknownError()
          : new ServiceUnavailableError(),
      );
    }
    if (exception instanceof Error) {
      // Sequelize's stack starts without the message: log both.
      this.logger.error(
        `${exception.name}: ${exception.message}`,
        exception.stack,
      );
    } else {
      this.logger.error(String(exception));
    }
    return this.toRefusal(new InternalError());
  }
}

export function errorBody(
  statusCode: number,
  code: string,
  message: string,
  details: Record<string, unknown> = {},
): ErrorBody {
  return {
    statusCode,
    error: STATUS_CODES[statusCode] ?? 'Error',
    code,
    message,
    ...details,
  };
}
