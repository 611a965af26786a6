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

/** What the filter leaves on `response.locals` for the request metrics. */
export interface ErrorLocals {
  errorCode?: string;
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
    const body = this.toBody(exception);
    (response.locals as ErrorLocals).errorCode = body.code;
    if (body.statusCode === (HttpStatus.SERVICE_UNAVAILABLE as number)) {
      response.setHeader('Retry-After', '1');
    }
    response.status(body.statusCode).json(body);
  }

  private toBody(exception: unknown): ErrorBody {
    if (exception instanceof DomainError) {
      return errorBody(
        exception.status,
        exception.code,
        exception.message,
        exception.details,
      );
    }
    const status =
      exception instanceof HttpException
        ? exception.getStatus()
        : isClientHttpError(exception)
          ? exception.status
          : undefined;
    const refusal =
      status === undefined ? undefined : FRAMEWORK_REFUSALS[status];
    if (status !== undefined && refusal !== undefined) {
      return errorBody(status, refusal.spec.code, (exception as Error).message);
    }
    if (isDatabaseUnavailable(exception)) {
      this.logger.warn(`Database unavailable: ${String(exception)}`);
      return this.toBody(
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
    return this.toBody(new InternalError());
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
