import {
  applyDecorators,
  createParamDecorator,
  ExecutionContext,
  UseInterceptors,
} from '@nestjs/common';
import { ApiHeader } from '@nestjs/swagger';
import type { Transaction } from 'sequelize';
import { ApiErrorResponses } from '../docs/api-error-responses.decorator';
import {
  IdempotencyKeyInUseError,
  IdempotencyKeyReusedError,
} from './idempotency.errors';
import {
  IdempotencyInterceptor,
  KEY_TRANSACTION,
  type RequestWithKeyTransaction,
} from './idempotency.interceptor';

/**
 * Makes a route that changes money take an `Idempotency-Key`; its handler passes
 * `@IdempotencyTransaction()` on to the ledger, so that the change and the key commit together.
 */
export const Idempotent = () =>
  applyDecorators(
    UseInterceptors(IdempotencyInterceptor),
    ApiHeader({
      name: 'Idempotency-Key',
      required: false,
      description:
        '1 to 255 printable ASCII characters, scoped to the API key. The first request that ' +
        'changes money under a key is stored with the change; the same request again gets the ' +
        'stored answer with `Idempotent-Replayed: true`; another request under the key gets 422.',
      schema: {
        type: 'string',
        minLength: 1,
        maxLength: 255,
        example: 'order-8f14e45f',
      },
    }),
    ApiErrorResponses(IdempotencyKeyInUseError, IdempotencyKeyReusedError),
  );

/** The transaction the request's Idempotency-Key was claimed in; undefined without a key. */
export const IdempotencyTransaction = createParamDecorator(
  (_: unknown, context: ExecutionContext): Transaction | undefined =>
    context.switchToHttp().getRequest<RequestWithKeyTransaction>()[
      KEY_TRANSACTION
    ],
);
