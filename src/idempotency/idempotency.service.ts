import {
  Injectable,
  Logger,
  OnModuleDestroy,
  OnModuleInit,
} from '@nestjs/common';
import { InjectConnection } from '@nestjs/sequelize';
import { escapeLiteral } from 'pg';
import { DatabaseError, QueryTypes, Transaction } from 'sequelize';
import { Sequelize } from 'sequelize-typescript';
import type { IdempotencyKey } from './idempotency-key.decorator';
import {
  IdempotencyKeyInUseError,
  IdempotencyKeyReusedError,
} from './idempotency.errors';
import { Replayed } from './replayed';

/**
 * Takes the key for this transaction. A key still claimed by a transaction in flight makes
 * this INSERT wait until that one commits (then the key is taken) or rolls back (then it is
 * ours), for at most `lock_timeout` (then: 409 IDEMPOTENCY_KEY_IN_USE). A key older than 24
 * hours is taken over. `SET LOCAL` rides in the same query (so the values are inlined, escaped):
 * a startup parameter would be refused by a transaction-pooling PgBouncer.
 */
function claimSql(key: string, fingerprint: string): string {
  return `
SET LOCAL lock_timeout = '5s';
INSERT INTO idempotency_keys (key, fingerprint)
VALUES (${escapeLiteral(key)}, ${escapeLiteral(fingerprint)})
ON CONFLICT (key) DO UPDATE
SET fingerprint = excluded.fingerprint, status = NULL, response = NULL, created_at = now()
WHERE idempotency_keys.created_at < now() - interval '24 hours'
RETURNING key`;
}

const STORED_SQL = `SELECT fingerprint, response FROM idempotency_keys WHERE key = $1`;

const LOCK_NOT_AVAILABLE = '55P03';

/** Keys are kept at least 24 hours; older ones are purged hourly (from every instance: harmless). */
const PURGE_SQL = `DELETE FROM idempotency_keys WHERE created_at < now() - interval '24 hours'`;
const PURGE_INTERVAL_MS = 60 * 60 * 1000;

/**
 * Idempotency keys live in the same transaction as the change of money they stand for: the
 * claim comes first (before any row lock, so keys and rows are always locked in that order),
 * and the statement that changes money stores its result under the key. A refused request
 * rolls back, so its key is not remembered.
 */
@Injectable()
export class IdempotencyService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(IdempotencyService.name);
  private purgeTimer?: NodeJS.Timeout;

  constructor(@InjectConnection() private readonly sequelize: Sequelize) {}

  onModuleInit(): void {
    this.purgeTimer = setInterval(() => {
      this.sequelize
        .query(PURGE_SQL)
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
   * Claims the key, if the request has one, inside `transaction`. Resolves with undefined when
   * the key is now this transaction's (or there is none); else with the answer of the request
   * that used it first, mapped from its stored row as a fresh answer is, to be replayed.
   */
  async claim<Row, Response>(
    transaction: Transaction,
    idempotencyKey: IdempotencyKey | undefined,
    toResponse: (stored: Row) => Response,
  ): Promise<Replayed<Response> | undefined> {
    if (!idempotencyKey) {
      return undefined;
    }
    const { key, fingerprint } = idempotencyKey;
    const claimed = await this.sequelize
      .query(claimSql(key, fingerprint), {
        transaction,
        type: QueryTypes.SELECT,
      })
      .catch((error: unknown) => {
        const code =
          error instanceof DatabaseError &&
          (error.parent as { code?: string }).code;
        throw code === LOCK_NOT_AVAILABLE
          ? new IdempotencyKeyInUseError()
          : error;
      });
    if (claimed.length > 0) {
      return undefined;
    }
    // A new statement: it sees the row committed while the claim waited.
    const [stored] = await this.sequelize.query<{
      fingerprint: string;
      response: Row;
    }>(STORED_SQL, { bind: [key], transaction, type: QueryTypes.SELECT });
    if (stored.fingerprint !== fingerprint) {
      throw new IdempotencyKeyReusedError();
    }
    return new Replayed(toResponse(stored.response));
  }
}
