import { escapeLiteral } from 'pg';

/**
 * The statements that change balances. Each runs inside a managed Sequelize transaction, as
 * one statement: a hot account is serial, so every round trip made while its row lock is held
 * is paid once per request, in a row.
 */

/**
 * The two statements of a credit or debit, sent together in one round trip: a hot account is
 * serial, so every round trip made while its row lock is held is paid once per request, in a
 * row. Run inside a managed transaction; the lock is held from the first statement to COMMIT.
 *
 * 1. `SELECT … FOR UPDATE` locks the user's row and reads its balance (no row: no such user).
 * 2. One statement applies the amount only if the new balance stays within 0..2^53-1, appends
 *    the ledger entry with the balance after it, and stores the result under the idempotency
 *    key; no row when the change was refused (then nothing was written).
 *
 * Two statements, not one: each takes its own snapshot, so the write reads the balance as it
 * is once locked. Folded into one statement (a `FOR UPDATE` CTE), PostgreSQL's re-check of a
 * row that a racing commit had changed refused debits that the balance covered, under a mix
 * of transfers and changes. Several statements in one query need the simple protocol, which
 * takes no parameters: the values are inlined here, validated integers and an escaped key.
 */
export function changeBalanceSql(
  userId: number,
  amount: number,
  idempotencyKey: string | null,
): string {
  if (!Number.isSafeInteger(userId) || !Number.isSafeInteger(amount)) {
    throw new TypeError('userId and amount must be safe integers');
  }
  const key = idempotencyKey === null ? 'NULL' : escapeLiteral(idempotencyKey);
  return `
SELECT balance AS locked_balance FROM users WHERE id = ${userId} FOR UPDATE;

WITH changed AS (
  UPDATE users
  SET balance = balance + (${amount}), version = version + 1, updated_at = now()
  WHERE id = ${userId} AND balance + (${amount}) BETWEEN 0 AND 9007199254740991
  RETURNING id, balance, version
), entry AS (
  INSERT INTO balance_transactions (user_id, amount, balance_after, type)
  SELECT id, ${amount}, balance, '${amount > 0 ? 'credit' : 'debit'}' FROM changed
  RETURNING id
), result AS (
  SELECT changed.id AS user_id, changed.balance, changed.version, entry.id AS transaction_id
  FROM changed, entry
), remembered AS (
  UPDATE idempotency_keys SET status = 200, response = (SELECT to_jsonb(result) FROM result)
  WHERE key = ${key} AND EXISTS (SELECT FROM result)
)
SELECT * FROM result`;
}

/** The rows of `changeBalanceSql`, in order: the lock's, then the applied change's. */
export type BalanceChangeRows =
  | []
  | [{ locked_balance: number }]
  | [{ locked_balance: number }, BalanceChangeRow];

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
