import {
  Injectable,
  Logger,
  OnModuleDestroy,
  OnModuleInit,
} from '@nestjs/common';
import { DatabaseError, Transaction } from 'sequelize';
import { Sequelize } from 'sequelize-typescript';
import { queryInTransaction } from '../database/sequelize-internals';
import { SqlFunction } from '../database/sql-function';
import {
  IdempotencyKeyInUseError,
  IdempotencyKeyReusedError,
} from './idempotency.errors';

/** A client's key, whose it is, and what identifies the request it came with. */
export interface IdempotencyKey {
  /** A digest of the caller's API key ('' when the service is open): keys are per caller. */
  scope: string;
  key: string;
  /** sha256 of the method, path and canonical body: the same key with another request is refused. */
  fingerprint: string;
}

/** What a key's first request was answered. */
export interface StoredAnswer {
  status: number;
  body: string;
}

/** A request to a route that changes money, as `@Idempotency()` gives it; empty without a key. */
export type IdempotentRequest =
  | { key?: undefined }
  | {
      key: IdempotencyKey;
      /** The status the route answers a change with. */
      status: number;
      response: { setHeader(name: string, value: string): unknown };
    };

/** Set on an answer that is a key's stored one. */
export const REPLAYED_HEADER = 'Idempotent-Replayed';

const LOCK_NOT_AVAILABLE = '55P03';

/** Takes the key for the transaction, or reports what its first request was answered. */
const CLAIM = new SqlFunction<
  IdempotencyKey,
  | { claimed: true }
  | { claimed: false; fingerprint: string; status: number; body: string }
>('idempotency_claim', {
  scope: 'p_scope',
  key: 'p_key',
  fingerprint: 'p_fingerprint',
});

/** `$1` scope, `$2` key, `$3` status, `$4` body: what was answered under a claimed key. */
const REMEMBER =
  'UPDATE idempotency_keys SET status = $3, body = $4 WHERE scope = $1 AND key = $2';

/** Keys are kept at least 24 hours. */
const PURGE = `DELETE FROM idempotency_keys WHERE created_at < now() - interval '24 hours'`;

const PURGE_INTERVAL_MS = 60 * 60 * 1000;

/**
 * Idempotency keys live in the transaction of the change they stand for: claimed first (before
 * any row lock, so keys and rows are always taken in that order), answered last, committed with
 * the change or rolled back with it (a refused request is not remembered).
 */
@Injectable()
export class IdempotencyService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(IdempotencyService.name);
  private purgeTimer?: NodeJS.Timeout;

  constructor(private readonly sequelize: Sequelize) {}

  onModuleInit(): void {
    // From every instance: harmless.
    this.purgeTimer = setInterval(() => {
      this.sequelize
        .query(PURGE)
        .catch((error: unknown) =>
          this.logger.warn(
            `Purging expired idempotency keys failed: ${String(error)}`,
          ),
        );
    }, PURGE_INTERVAL_MS).unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.purgeTimer);
  }

  /**
   * Runs `change` once per key. Without a key, as is: the change takes a transaction of its
   * own. With one, in one managed transaction: the key is claimed, `change` runs in it, and its
   * answer is stored under the key before the commit. The same request again gets that answer
   * (JSON.stringify of what JSON.parse makes of its text is that text, so the bytes are the same)
   * with `Idempotent-Replayed: true`; another request under the key is a 422. A refusal rolls
   * everything back, the key included.
   */
  async once<T>(
    request: IdempotentRequest,
    change: (transaction?: Transaction) => Promise<T>,
  ): Promise<T> {
    if (!request.key) {
      return change();
    }
    const { key, status, response } = request;
    return this.sequelize.transaction(async (transaction) => {
      const stored = await this.claim(transaction, key);
      if (stored) {
        response.setHeader(REPLAYED_HEADER, 'true');
        return JSON.parse(stored.body) as T;
      }
      const answer = await change(transaction);
      await this.remember(transaction, key, {
        status,
        body: JSON.stringify(answer),
      });
      return answer;
    });
  }

  /**
   * Claims the key in `transaction`. Resolves with undefined when it is now this transaction's,
   * else with what its first request was answered. Waits up to 5 s for a request in flight
   * with the same key.
   */
  private async claim(
    transaction: Transaction,
    key: IdempotencyKey,
  ): Promise<StoredAnswer | undefined> {
    const claim = await CLAIM.call(transaction, key).catch((error: unknown) => {
      const code =
        error instanceof DatabaseError &&
        (error.parent as { code?: string }).code;
      throw code === LOCK_NOT_AVAILABLE
        ? new IdempotencyKeyInUseError()
        : error;
    });
    if (claim.claimed) {
      return undefined;
    }
    if (claim.fingerprint !== key.fingerprint) {
      throw new IdempotencyKeyReusedError();
    }
    return { status: claim.status, body: claim.body };
  }

  /** Stores the answer under the key this transaction claimed. */
  private async remember(
    transaction: Transaction,
    { scope, key }: IdempotencyKey,
    { status, body }: StoredAnswer,
  ): Promise<void> {
    await queryInTransaction(transaction, REMEMBER, [scope, key, status, body]);
  }
}
