import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { STATUS_CODES } from 'node:http';
import type { ErrorCode } from '../common/domain.error';
import { STATUS_BY_CODE } from '../common/errors.filter';

/** What a client is told for each code; the examples of the description. */
const EXAMPLES: Record<
  ErrorCode,
  { message: string; [detail: string]: unknown }
> = {
  VALIDATION_FAILED: { message: 'amount must be an integer number' },
  UNAUTHORIZED: {
    message: 'A valid API key is required: Authorization: Bearer <key>',
  },
  NOT_FOUND: { message: 'Cannot GET /nowhere' },
  USER_NOT_FOUND: { message: 'User 7 does not exist' },
  INSUFFICIENT_FUNDS: {
    message: 'User 1 has a balance of 1, less than the debit of 2',
    balance: 1,
  },
  IDEMPOTENCY_KEY_IN_USE: {
    message: 'A request with this Idempotency-Key is still in flight',
  },
  PAYLOAD_TOO_LARGE: { message: 'request entity too large' },
  UNSUPPORTED_MEDIA_TYPE: {
    message: 'The body must be application/json, in UTF-8',
  },
  HEADERS_TOO_LARGE: {
    message: 'The request headers are over the limit of 16384 bytes',
  },
  REQUEST_TIMEOUT: {
    message: 'The request did not arrive in time',
  },
  BALANCE_LIMIT_EXCEEDED: {
    message:
      'A balance cannot exceed 9007199254740991; the credit to user 1 would pass it',
  },
  IDEMPOTENCY_KEY_REUSED: {
    message: 'This Idempotency-Key was used for another request',
  },
  SERVICE_UNAVAILABLE: {
    message: 'The database is unavailable; retry shortly',
  },
  INTERNAL_ERROR: { message: 'Internal server error' },
};

/** Every error body, whatever the status: `ErrorsFilter` writes this shape. */
export class ErrorBodySchema {
  @ApiProperty({ type: 'integer', example: 409 })
  statusCode!: number;

  @ApiProperty({ example: 'Conflict' })
  error!: string;

  @ApiProperty({
    enum: Object.keys(EXAMPLES),
    example: 'INSUFFICIENT_FUNDS',
    description: 'Stable: branch on this, never on the message',
  })
  code!: ErrorCode;

  @ApiProperty({
    example: 'User 1 has a balance of 1, less than the debit of 2',
  })
  message!: string;
}

/**
 * Documents the error responses a route may give, one response per status with an example
 * per code, e.g. `@ApiErrorResponses('VALIDATION_FAILED', 'USER_NOT_FOUND')`.
 */
export function ApiErrorResponses(
  ...codes: ErrorCode[]
): MethodDecorator & ClassDecorator {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) {
    const status = STATUS_BY_CODE[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return applyDecorators(
    ...[...byStatus].map(([status, statusCodes]) =>
      ApiResponse({
        status,
        description: statusCodes.join(' or '),
        content: {
          'application/json': {
            schema: { $ref: getSchemaPath(ErrorBodySchema) },
            examples: Object.fromEntries(
              statusCodes.map((code) => [
                code,
                {
                  value: {
                    statusCode: status,
                    error: STATUS_CODES[status],
                    code,
                    ...EXAMPLES[code],
                  },
                },
              ]),
            ),
          },
        },
      }),
    ),
  );
}

/** Every refusal a change of money can get: a balance change or a transfer. */
export const MONEY_CHANGE_ERRORS: ErrorCode[] = [
  'VALIDATION_FAILED',
  'USER_NOT_FOUND',
  'INSUFFICIENT_FUNDS',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'BALANCE_LIMIT_EXCEEDED',
  'IDEMPOTENCY_KEY_IN_USE',
  'IDEMPOTENCY_KEY_REUSED',
];
