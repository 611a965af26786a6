import {
  applyDecorators,
  createParamDecorator,
  ExecutionContext,
  HttpStatus,
} from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants';
import { ApiHeader } from '@nestjs/swagger';
import type { Response } from 'express';
import { createHash } from 'node:crypto';
import stableStringify from 'safe-stable-stringify';
import {
  OutcomeUnknownError,
  ServiceUnavailableError,
} from '../common/common.errors';
import { ValidationFailedError } from '../common/domain.error';
import { ApiErrorResponses } from '../docs/api-error-responses.decorator';
import { CALLER, type RequestWithCaller } from '../security/api-key.middleware';
import {
  IdempotencyKeyInUseError,
  IdempotencyKeyReusedError,
} from './idempotency.errors';
import type { IdempotentRequest } from './idempotency.service';

const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';

/** 1 to 255 printable ASCII characters. */
const VALID_KEY = /^[\x20-\x7e]{1,255}$/;

const WITHOUT_KEY: IdempotentRequest = {};

const sha256 = (text: string) =>
  createHash('sha256').update(text).digest('hex');

/**
 * Documents that a route that changes money takes an `Idempotency-Key`. Its handler runs the
 * change through `IdempotencyService.once` with the route's `@Idempotency()`.
 */
export const Idempotent = () =>
  applyDecorators(
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
    ApiErrorResponses(
      IdempotencyKeyInUseError,
      IdempotencyKeyReusedError,
      // A route's 503 replaces its controller's, so that one is repeated here.
      ServiceUnavailableError,
      OutcomeUnknownError,
    ),
  );

/**
 * The request's `Idempotency-Key`, validated, with what identifies the request it came with;
 * empty without one. A parameter rather than an interceptor: a request without a key, which
 * is most, then costs a header lookup, not an interceptor chain.
 */
export const Idempotency = createParamDecorator(
  (_: unknown, context: ExecutionContext): IdempotentRequest => {
    const http = context.switchToHttp();
    const request = http.getRequest<RequestWithCaller>();
    const key = request.headers[IDEMPOTENCY_KEY_HEADER];
    if (key === undefined) {
      return WITHOUT_KEY;
    }
    if (typeof key !== 'string' || !VALID_KEY.test(key)) {
      throw new ValidationFailedError(
        'Idempotency-Key must be 1 to 255 printable ASCII characters',
      );
    }
    return {
      key: {
        // Keys belong to the caller; with no API keys, everyone is one caller.
        scope: request[CALLER] ?? '',
        key,
        fingerprint: sha256(
          `${request.method} ${request.path}\n${stableStringify(request.body)}`,
        ),
      },
      status:
        (Reflect.getMetadata(HTTP_CODE_METADATA, context.getHandler()) as
          number | undefined) ?? HttpStatus.CREATED,
      response: http.getResponse<Response>(),
    };
  },
);
