/**
 * Locks both users' rows, in ascending id order, so that transfers in opposite directions
 * never deadlock. `$1`, `$2`: the two user ids. Returns the ids found.
 */
export const LOCK_PAIR_SQL = `
SELECT id FROM users WHERE id IN ($1, $2) ORDER BY id FOR UPDATE`;

/**
 * Moves `$3` (> 0) from user `$1` to user `$2`, `$4` idempotency key or NULL, once both rows
 * are locked by LOCK_PAIR_SQL. A statement of its own on purpose: its snapshot is taken after
 * the locks, so the balances it checks are the current ones (folding the lock into this
 * statement's CTE let the check read a balance that a concurrent commit had just changed).
 * Checks both sides, then writes the transfer, both balances and two ledger entries sharing
 * the transfer's id, and stores the result under the key; or, if the check fails, nothing.
 */
export const TRANSFER_SQL = `
WITH checked AS (
  SELECT source.balance AS from_balance_before,
         source.balance >= $3 AND target.balance + $3 <= 9007199254740991 AS allowed
  FROM users source, users target
  WHERE source.id = $1 AND target.id = $2
), transfer AS (
  INSERT INTO transfers (from_user_id, to_user_id, amount)
  SELECT $1, $2, $3 FROM checked WHERE allowed
  RETURNING id, created_at
), moved AS (
  UPDATE users
  SET balance = users.balance + CASE WHEN users.id = $1 THEN -$3 ELSE $3 END,
      version = users.version + 1,
      updated_at = now()
  FROM transfer
  WHERE users.id IN ($1, $2)
  RETURNING users.id, users.balance
), entries AS (
  INSERT INTO balance_transactions (user_id, amount, balance_after, type, transfer_id)
  SELECT moved.id,
         CASE WHEN moved.id = $1 THEN -$3 ELSE $3 END,
         moved.balance,
         CASE WHEN moved.id = $1 THEN 'transfer_out' ELSE 'transfer_in' END,
         transfer.id
  FROM moved, transfer
  ORDER BY moved.id
), result AS (
  SELECT transfer.id, $1::integer AS from_user_id, $2::integer AS to_user_id,
         $3::bigint AS amount,
         (SELECT balance FROM moved WHERE id = $1) AS from_balance,
         (SELECT balance FROM moved WHERE id = $2) AS to_balance,
         transfer.created_at
  FROM transfer
), remembered AS (
  UPDATE idempotency_keys SET status = 201, response = (SELECT to_jsonb(result) FROM result)
  WHERE key = $4 AND EXISTS (SELECT FROM result)
)
SELECT checked.from_balance_before, result.*
FROM checked LEFT JOIN result ON true`;

/** The applied transfer, and what an idempotency key remembers of it. */
export interface TransferRow {
  id: number;
  from_user_id: number;
  to_user_id: number;
  amount: number;
  from_balance: number;
  to_balance: number;
  /** A Date from a fresh statement; an ISO string when remembered as JSON. */
  created_at: Date | string;
}

export interface TransferOutcomeRow extends Partial<TransferRow> {
  from_balance_before: number;
}
