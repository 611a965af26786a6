import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { ApiHeader } from '@nestjs/swagger';
import type { Request } from 'express';
import { createHash } from 'node:crypto';
import { ValidationFailedError } from '../common/domain.error';

export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';

/** 1 to 255 printable ASCII characters. */
const VALID_KEY = /^[\x20-\x7e]{1,255}$/;

/** A client's key, and what identifies the request it was sent with. */
export interface IdempotencyKey {
  key: string;
  /** sha256 of the method, path and body (keys sorted): the same key with another request is refused. */
  fingerprint: string;
}

/**
 * The request's `Idempotency-Key`, validated, or undefined without one.
 * A malformed key is a 400, before anything else happens.
 */
export const IdempotencyKeyHeader = createParamDecorator(
  (_: unknown, context: ExecutionContext): IdempotencyKey | undefined => {
    const request = context.switchToHttp().getRequest<Request>();
    const key = request.headers[IDEMPOTENCY_KEY_HEADER];
    if (key === undefined) {
      return undefined;
    }
    if (typeof key !== 'string' || !VALID_KEY.test(key)) {
      throw new ValidationFailedError(
        'Idempotency-Key must be 1 to 255 printable ASCII characters',
      );
    }
    const body = request.body as Record<string, unknown>;
    const canonicalBody = JSON.stringify(body, Object.keys(body).sort());
    const fingerprint = createHash('sha256')
      .update(`${request.method} ${request.path}\n${canonicalBody}`)
      .digest('hex');
    return { key, fingerprint };
  },
);

/** Documents the optional header on a route that takes it. */
export const ApiIdempotencyKey = () =>
  ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description:
      '1 to 255 printable ASCII characters. The first request that changes money under a key ' +
      'is stored with the change; the same request again gets the stored answer with ' +
      '`Idempotent-Replayed: true`; another request under the key gets 422.',
    schema: {
      type: 'string',
      minLength: 1,
      maxLength: 255,
      example: 'order-8f14e45f',
    },
  });
