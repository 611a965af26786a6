import {
  CallHandler,
  ExecutionContext,
  HttpStatus,
  Injectable,
  NestInterceptor,
} from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants';
import { Reflector } from '@nestjs/core';
import type { Response } from 'express';
import { createHash } from 'node:crypto';
import { from, lastValueFrom, Observable } from 'rxjs';
import stableStringify from 'safe-stable-stringify';
import { Transaction } from 'sequelize';
import { Sequelize } from 'sequelize-typescript';
import { ValidationFailedError } from '../common/domain.error';
import { CALLER, type RequestWithCaller } from '../security/api-key.middleware';
import { type IdempotencyKey, IdempotencyService } from './idempotency.service';

export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
export const REPLAYED_HEADER = 'Idempotent-Replayed';

/** 1 to 255 printable ASCII characters. */
const VALID_KEY = /^[\x20-\x7e]{1,255}$/;

const sha256 = (text: string) =>
  createHash('sha256').update(text).digest('hex');

/** Where the interceptor leaves the key's transaction for `@IdempotencyTransaction()`. */
export const KEY_TRANSACTION = Symbol('idempotency key transaction');

export type RequestWithKeyTransaction = RequestWithCaller & {
  [KEY_TRANSACTION]?: Transaction;
};

/**
 * `Idempotency-Key` for the route it decorates (`@Idempotent()`). With a key, the request runs
 * in one managed transaction: the key is claimed, the handler runs in it (it gets the
 * transaction through `@IdempotencyTransaction()` and hands it to the ledger), and the status and
 * body it answered are stored under the key before the commit. The same request again is
 * answered exactly those bytes, with `Idempotent-Replayed: true`; another request under the key
 * is a 422. A refusal rolls everything back, the key included.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(
    private readonly sequelize: Sequelize,
    private readonly keys: IdempotencyService,
    private readonly reflector: Reflector,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const http = context.switchToHttp();
    const request = http.getRequest<RequestWithKeyTransaction>();
    const key = this.keyOf(request);
    if (!key) {
      return next.handle();
    }
    const response = http.getResponse<Response>();
    const status =
      this.reflector.get<number>(HTTP_CODE_METADATA, context.getHandler()) ??
      HttpStatus.CREATED;
    return from(
      this.sequelize.transaction(async (transaction) => {
        const stored = await this.keys.claim(transaction, key);
        if (stored) {
          response.setHeader(REPLAYED_HEADER, 'true');
          return asJson(response, stored.body);
        }
        request[KEY_TRANSACTION] = transaction;
        const body = JSON.stringify(await lastValueFrom(next.handle()));
        await this.keys.remember(transaction, key, { status, body });
        return asJson(response, body);
      }),
    );
  }

  /** The request's key, validated, or undefined without one. */
  private keyOf(request: RequestWithCaller): IdempotencyKey | undefined {
    const key = request.headers[IDEMPOTENCY_KEY_HEADER];
    if (key === undefined) {
      return undefined;
    }
    if (typeof key !== 'string' || !VALID_KEY.test(key)) {
      throw new ValidationFailedError(
        'Idempotency-Key must be 1 to 255 printable ASCII characters',
      );
    }
    return {
      // Keys belong to the caller; with no API keys, everyone is one caller.
      scope: request[CALLER] ?? '',
      key,
      fingerprint: sha256(
        `${request.method} ${request.path}\n${stableStringify(request.body)}`,
      ),
    };
  }
}

/** The body, as is: the bytes stored under a key are the bytes sent, first and on replay. */
function asJson(response: Response, body: string): string {
  response.type('application/json');
  return body;
}
