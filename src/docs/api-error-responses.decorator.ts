import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { STATUS_CODES } from 'node:http';
import type { DomainErrorClass, ErrorSpec } from '../common/domain.error';

/** Every error body, whatever the status: `ErrorsFilter` writes this shape. */
export class ErrorBodySchema {
  @ApiProperty({ type: 'integer', example: 409 })
  statusCode!: number;

  @ApiProperty({ example: 'Conflict' })
  error!: string;

  @ApiProperty({
    // Filled with every code the document shows (see setUpOpenApi).
    enum: [],
    example: 'INSUFFICIENT_FUNDS',
    description: 'Stable: branch on this, never on the message',
  })
  code!: string;

  @ApiProperty({
    example: 'User 1 has 1 available (balance 201, 200 held), less than 2',
  })
  message!: string;
}

/**
 * Documents the error responses a route may give, one response per status with an example
 * per code, e.g. `@ApiErrorResponses(ValidationFailedError, UserNotFoundError)`; several on one
 * route add up.
 */
export function ApiErrorResponses(
  ...errors: DomainErrorClass[]
): MethodDecorator & ClassDecorator {
  const byStatus = new Map<number, ErrorSpec[]>();
  for (const { spec } of errors) {
    byStatus.set(spec.status, [...(byStatus.get(spec.status) ?? []), spec]);
  }
  return applyDecorators(
    ...[...byStatus].map(([status, specs]) =>
      ApiResponse({
        status,
        description: specs.map((spec) => spec.code).join(' or '),
        schema: { $ref: getSchemaPath(ErrorBodySchema) },
        // Merged with the examples of other ApiErrorResponses on the same route and status.
        examples: Object.fromEntries(
          specs.map(({ code, example }) => [
            code,
            {
              summary: code,
              value: {
                statusCode: status,
                error: STATUS_CODES[status],
                code,
                ...example,
              },
            },
          ]),
        ),
      }),
    ),
  );
}
