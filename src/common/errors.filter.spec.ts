import {
  ArgumentsHost,
  HttpStatus,
  Logger,
  NotFoundException,
} from '@nestjs/common';
import {
  ConnectionAcquireTimeoutError,
  ConnectionRefusedError,
  DatabaseError,
} from 'sequelize';
import { ErrorBody, ErrorsFilter } from './errors.filter';
import { DomainError } from './domain.error';

class FundsError extends DomainError {
  readonly code = 'INSUFFICIENT_FUNDS';
  readonly status = HttpStatus.CONFLICT;
  readonly outcome = 'insufficient_funds';
  constructor() {
    super('not enough');
    this.details.balance = 3;
  }
}

/** An error shaped like those of Express's body parser (`http-errors`). */
function bodyParserError(status: number, message: string): Error {
  return Object.assign(new Error(message), { status, expose: true });
}

describe('ErrorsFilter', () => {
  const filter = new ErrorsFilter();

  function respond(exception: unknown): {
    status: number;
    body: ErrorBody;
    headers: Record<string, string>;
  } {
    const sent = {
      status: 0,
      body: undefined as unknown as ErrorBody,
      headers: {} as Record<string, string>,
    };
    const response = {
      locals: {},
      setHeader: (name: string, value: string) => (sent.headers[name] = value),
      status: (status: number) => {
        sent.status = status;
        return response;
      },
      json: (body: ErrorBody) => (sent.body = body),
    };
    const host = {
      switchToHttp: () => ({ getResponse: () => response }),
    } as unknown as ArgumentsHost;
    filter.catch(exception, host);
    return sent;
  }

  let loggedError: jest.SpyInstance;

  beforeEach(() => {
    loggedError = jest.spyOn(Logger.prototype, 'error').mockImplementation();
    jest.spyOn(Logger.prototype, 'warn').mockImplementation();
  });

  afterEach(() => jest.restoreAllMocks());

  it('maps a domain error to its status and keeps its details', () => {
    expect(respond(new FundsError())).toMatchObject({
      status: 409,
      body: {
        statusCode: 409,
        error: 'Conflict',
        code: 'INSUFFICIENT_FUNDS',
        message: 'not enough',
        balance: 3,
      },
    });
  });

  it('gives framework refusals a catalogue code', () => {
    expect(respond(new NotFoundException('Cannot GET /x')).body).toEqual({
      statusCode: 404,
      error: 'Not Found',
      code: 'NOT_FOUND',
      message: 'Cannot GET /x',
    });
  });

  it.each([
    [413, 'PAYLOAD_TOO_LARGE'],
    [415, 'UNSUPPORTED_MEDIA_TYPE'],
    [400, 'VALIDATION_FAILED'],
  ])('maps a body parser %i to %s', (status, code) => {
    expect(respond(bodyParserError(status, 'refused')).body).toMatchObject({
      statusCode: status,
      code,
    });
  });

  it.each([
    [
      'a refused connection',
      new ConnectionRefusedError(new Error('connect ECONNREFUSED')),
    ],
    [
      'a pool that cannot hand out a connection',
      new ConnectionAcquireTimeoutError(new Error('timeout')),
    ],
    [
      'a server shutting down',
      new DatabaseError(
        Object.assign(new Error('terminating connection'), {
          code: '57P01',
          sql: '',
        }),
      ),
    ],
    [
      'a standby refusing a write',
      new DatabaseError(
        Object.assign(
          new Error('cannot execute INSERT in a read-only transaction'),
          { code: '25006', sql: 'SELECT * FROM ledger_change_balance($1)' },
        ),
      ),
    ],
    [
      'a connection reset',
      new DatabaseError(
        Object.assign(new Error('read ECONNRESET'), {
          code: 'ECONNRESET',
          sql: 'START TRANSACTION;',
        }),
      ),
    ],
  ])('answers %s with 503 and Retry-After', (_, error) => {
    const { status, body, headers } = respond(error);
    expect(status).toBe(503);
    expect(body.code).toBe('SERVICE_UNAVAILABLE');
    expect(headers['Retry-After']).toBe('1');
  });

  it('answers a connection lost during COMMIT with 503 OUTCOME_UNKNOWN and Retry-After', () => {
    const { status, body, headers } = respond(
      new DatabaseError(
        Object.assign(new Error('Connection terminated unexpectedly'), {
          sql: 'COMMIT;',
        }),
      ),
    );
    expect(status).toBe(503);
    expect(body.code).toBe('OUTCOME_UNKNOWN');
    expect(body.message).toMatch(/may or may not.*same Idempotency-Key/);
    expect(headers['Retry-After']).toBe('1');
  });

  it('answers anything else with a 500 that leaks nothing, and logs it in full', () => {
    const error = new DatabaseError(
      Object.assign(new Error('syntax error at or near "SELEC"'), {
        code: '42601',
        sql: 'SELEC 1',
      }),
    );
    const { status, body } = respond(error);
    expect(status).toBe(500);
    expect(body).toEqual({
      statusCode: 500,
      error: 'Internal Server Error',
      code: 'INTERNAL_ERROR',
      message: 'Internal server error',
    });
    expect(loggedError).toHaveBeenCalledWith(
      'SequelizeDatabaseError: syntax error at or near "SELEC"',
      expect.any(String),
    );
  });
});
