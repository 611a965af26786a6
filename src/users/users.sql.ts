/**
 * The statements that change balances. Each runs inside a managed Sequelize transaction, as
 * one statement: a hot account is serial, so every round trip made while its row lock is held
 * is paid once per request, in a row.
 */

/**
 * Credits or debits one user: `$1` user id, `$2` signed amount, `$3` idempotency key or NULL.
 * Locks the user's row (`FOR UPDATE`, held until commit), applies the amount only if the new
 * balance stays within 0..2^53-1, appends the ledger entry with the balance after it, and
 * stores the result under the idempotency key. Returns no row for an unknown user, and
 * `transaction_id` NULL when the change was refused (then nothing was written).
 */
export const CHANGE_BALANCE_SQL = `
WITH locked AS (
  SELECT id, balance FROM users WHERE id = $1 FOR UPDATE
), changed AS (
  UPDATE users
  SET balance = users.balance + $2, version = users.version + 1, updated_at = now()
  FROM locked
  WHERE users.id = locked.id AND users.balance + $2 BETWEEN 0 AND 9007199254740991
  RETURNING users.id, users.balance, users.version
), entry AS (
  INSERT INTO balance_transactions (user_id, amount, balance_after, type)
  SELECT id, $2, balance, CASE WHEN $2 > 0 THEN 'credit' ELSE 'debit' END FROM changed
  RETURNING id
), result AS (
  SELECT changed.id AS user_id, changed.balance, changed.version, entry.id AS transaction_id
  FROM changed, entry
), remembered AS (
  UPDATE idempotency_keys SET status = 200, response = (SELECT to_jsonb(result) FROM result)
  WHERE key = $3 AND EXISTS (SELECT FROM result)
)
SELECT locked.balance AS balance_before, result.*
FROM locked LEFT JOIN result ON true`;

/** One row of `CHANGE_BALANCE_SQL`, and what an idempotency key remembers of it. */
export interface BalanceChangeRow {
  balance_before: number;
  user_id: number | null;
  balance: number | null;
  version: number | null;
  transaction_id: number | null;
}
