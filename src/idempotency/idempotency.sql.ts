import type { QueryResultRow } from 'pg';

/** `$1` scope, `$2` key, `$3` fingerprint: see `idempotency_claim` in the ledger's migration. */
export const CLAIM = 'SELECT * FROM idempotency_claim($1, $2, $3)';

/** `$1` scope, `$2` key, `$3` status, `$4` body: what was answered under a claimed key. */
export const REMEMBER =
  'UPDATE idempotency_keys SET status = $3, body = $4 WHERE scope = $1 AND key = $2';

/** Keys are kept at least 24 hours. */
export const PURGE = `DELETE FROM idempotency_keys WHERE created_at < now() - interval '24 hours'`;

export interface ClaimRow extends QueryResultRow {
  claimed: boolean;
  fingerprint: string | null;
  status: number | null;
  body: string | null;
}
