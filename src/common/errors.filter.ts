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
import { isDatabaseUnavailable } from '../database/database-errors';
import { DomainError, ErrorCode } from './domain.error';

export const STATUS_BY_CODE: Record<ErrorCode, number> = {
  VALIDATION_FAILED: HttpStatus.BAD_REQUEST,
  UNAUTHORIZED: HttpStatus.UNAUTHORIZED,
  NOT_FOUND: HttpStatus.NOT_FOUND,
  USER_NOT_FOUND: HttpStatus.NOT_FOUND,
  INSUFFICIENT_FUNDS: HttpStatus.CONFLICT,
  IDEMPOTENCY_KEY_IN_USE: HttpStatus.CONFLICT,
  PAYLOAD_TOO_LARGE: HttpStatus.PAYLOAD_TOO_LARGE,
  UNSUPPORTED_MEDIA_TYPE: HttpStatus.UNSUPPORTED_MEDIA_TYPE,
  // Answered by `answerClientErrors`, before Express, when Node's HTTP parser refuses a request.
  HEADERS_TOO_LARGE: 431,
  REQUEST_TIMEOUT: HttpStatus.REQUEST_TIMEOUT,
  BALANCE_LIMIT_EXCEEDED: HttpStatus.UNPROCESSABLE_ENTITY,
  IDEMPOTENCY_KEY_REUSED: HttpStatus.UNPROCESSABLE_ENTITY,
  SERVICE_UNAVAILABLE: HttpStatus.SERVICE_UNAVAILABLE,
  INTERNAL_ERROR: HttpStatus.INTERNAL_SERVER_ERROR,
};

/** The code for a refusal raised by the framework or by Express's body parser. */
const CODE_BY_STATUS: Partial<Record<number, ErrorCode>> = {
  [HttpStatus.BAD_REQUEST]: 'VALIDATION_FAILED',
  [HttpStatus.UNAUTHORIZED]: 'UNAUTHORIZED',
  [HttpStatus.NOT_FOUND]: 'NOT_FOUND',
  [HttpStatus.PAYLOAD_TOO_LARGE]: 'PAYLOAD_TOO_LARGE',
  [HttpStatus.UNSUPPORTED_MEDIA_TYPE]: 'UNSUPPORTED_MEDIA_TYPE',
  [HttpStatus.SERVICE_UNAVAILABLE]: 'SERVICE_UNAVAILABLE',
};

/** What the filter leaves on `response.locals` for the request metrics. */
export interface ErrorLocals {
  errorCode?: ErrorCode;
}

export interface ErrorBody {
  statusCode: number;
  error: string;
  code: ErrorCode;
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
 * refusals get a catalogue code, an unreachable database is a 503, and anything else is a bug,
 * logged in full and answered with nothing internal.
 */
@Catch()
export class ErrorsFilter implements ExceptionFilter {
  private readonly logger = new Logger(ErrorsFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    const body = this.toBody(exception);
    (response.locals as ErrorLocals).errorCode = body.code;
    if (body.code === 'SERVICE_UNAVAILABLE') {
      response.setHeader('Retry-After', '1');
    }
    response.status(body.statusCode).json(body);
  }

  private toBody(exception: unknown): ErrorBody {
    if (exception instanceof DomainError) {
      return errorBody(
        STATUS_BY_CODE[exception.code],
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
    const code = status === undefined ? undefined : CODE_BY_STATUS[status];
    if (status !== undefined && code !== undefined) {
      return errorBody(status, code, (exception as Error).message);
    }
    if (isDatabaseUnavailable(exception)) {
      this.logger.warn(`Database unavailable: ${String(exception)}`);
      return errorBody(
        HttpStatus.SERVICE_UNAVAILABLE,
        'SERVICE_UNAVAILABLE',
        'The database is unavailable; retry shortly',
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
    return errorBody(
      HttpStatus.INTERNAL_SERVER_ERROR,
      'INTERNAL_ERROR',
      'Internal server error',
    );
  }
}

export function errorBody(
  statusCode: number,
  code: ErrorCode,
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
