/**
 * The statements that change balances. Each runs inside a managed Sequelize transaction, as
 * one statement: a hot account is serial, so every round trip made while its row lock is held
 * is paid once per request, in a row.
 */

/** Locks one user's row until commit, and reads its current balance: `$1` user id. */
export const LOCK_USER_SQL = `SELECT balance FROM users WHERE id = $1 FOR UPDATE`;

/**
 * Credits or debits one user whose row LOCK_USER_SQL has locked: `$1` user id, `$2` signed
 * amount, `$3` idempotency key or NULL. Applies the amount only if the new balance stays
 * within 0..2^53-1, appends the ledger entry with the balance after it, and stores the result
 * under the idempotency key. Returns no row when the change was refused (nothing written).
 *
 * A statement of its own, after the lock, on purpose: its snapshot is then taken with the row
 * locked, so it reads the current balance. Folded into one statement with the lock (a
 * `FOR UPDATE` CTE), PostgreSQL's re-check of a row changed by a commit that raced the
 * statement refused debits the balance covered, under a mix of transfers and changes.
 */
export const CHANGE_BALANCE_SQL = `
WITH changed AS (
  UPDATE users
  SET balance = balance + $2, version = version + 1, updated_at = now()
  WHERE id = $1 AND balance + $2 BETWEEN 0 AND 9007199254740991
  RETURNING id, balance, version
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
SELECT * FROM result`;

/** An applied change, and what an idempotency key remembers of it. */
export interface BalanceChangeRow {
  user_id: number;
  balance: number;
  version: number;
  transaction_id: number;
}

/**
 * Creates a user, `$1` opening balance, `$2` idempotency key or NULL: the opening balance is
 * the user's first ledger entry, so the ledger explains every balance from its first row.
 */
export const CREATE_USER_SQL = `
WITH created AS (
  INSERT INTO users (balance) VALUES ($1) RETURNING id, balance, version
), opening AS (
  INSERT INTO balance_transactions (user_id, amount, balance_after, type)
  SELECT id, balance, balance, 'opening' FROM created
), remembered AS (
  UPDATE idempotency_keys SET status = 201, response = (SELECT to_jsonb(created) FROM created)
  WHERE key = $2
)
SELECT * FROM created`;

export interface UserRow {
  id: number;
  balance: number;
  version: number;
}

/** One page of a user's history, newest first: `$1` user id, `$2` entries before this id or NULL, `$3` how many. */
export const HISTORY_SQL = `
SELECT id, user_id, amount, balance_after, type, transfer_id, created_at
FROM balance_transactions
WHERE user_id = $1 AND ($2::bigint IS NULL OR id < $2)
ORDER BY id DESC
LIMIT $3`;

export interface LedgerEntryRow {
  id: number;
  user_id: number;
  amount: number;
  balance_after: number;
  type: 'opening' | 'credit' | 'debit' | 'transfer_in' | 'transfer_out';
  transfer_id: number | null;
  created_at: Date;
}
