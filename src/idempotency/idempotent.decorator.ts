import {
  applyDecorators,
  createParamDecorator,
  ExecutionContext,
  HttpCode,
  HttpStatus,
  SetMetadata,
} from '@nestjs/common';
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
import type { MoneyCounter } from '../metrics/money-counter';
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

/** What `@Idempotent()` says of its route. */
interface MoneyRoute {
  /** What the route answers a change with. */
  status: HttpStatus.OK | HttpStatus.CREATED;
  /** Which counter of `/metrics` counts its outcomes. */
  counter: MoneyCounter;
}

const MONEY_ROUTE = Symbol('money-route');

/** Where `@Idempotency()` leaves its route's counter, for the request metrics. */
export interface MoneyRouteLocals {
  moneyCounter?: MoneyCounter;
}

/**
 * Marks a route that changes money: it answers a change with `status`, takes an
 * `Idempotency-Key` (its handler runs the change through `IdempotencyService.once` with the
 * route's `@Idempotency()`), and `counter` counts its outcomes on `/metrics`.
 */
export const Idempotent = (
  status: MoneyRoute['status'],
  counter: MoneyCounter,
) =>
  applyDecorators(
    HttpCode(status),
    SetMetadata(MONEY_ROUTE, { status, counter } satisfies MoneyRoute),
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
 * is most, then costs a header lookup, not an interceptor chain. Nest reads every parameter
 * before it validates any, so the route's counter is known even when its body is refused.
 */
export const Idempotency = createParamDecorator(
  (_: unknown, context: ExecutionContext): IdempotentRequest => {
    const http = context.switchToHttp();
    const request = http.getRequest<RequestWithCaller>();
    const response = http.getResponse<Response>();
    const route = Reflect.getMetadata(MONEY_ROUTE, context.getHandler()) as
      MoneyRoute | undefined;
    if (!route) {
      throw new Error('@Idempotency() needs @Idempotent() on its route');
    }
    (response.locals as MoneyRouteLocals).moneyCounter = route.counter;
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
      status: route.status,
      response,
    };
  },
);
