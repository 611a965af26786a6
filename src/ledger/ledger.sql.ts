/**
 * The statements of the money path: each calls one function of the ledger's migration
 * (`db/migrations/*.ledger-functions.up.sql`), where its rules, locks and writes are, with
 * bound parameters. Run inside a managed transaction.
 */

/** `$1` opening balance → the new user and its opening balance transaction. */
export const OPEN_ACCOUNT = 'SELECT * FROM ledger_open_account($1)';

/** The seed: the first user, only while there is none. `$1` its opening balance. */
export const OPEN_FIRST_ACCOUNT =
  'SELECT ledger_open_account($1) WHERE NOT EXISTS (SELECT FROM users)';

/** `$1` user id, `$2` signed amount. */
export const CHANGE_BALANCE = 'SELECT * FROM ledger_change_balance($1, $2)';

/** `$1` source, `$2` target, `$3` amount (> 0). */
export const TRANSFER = 'SELECT * FROM ledger_transfer($1, $2, $3)';

/** One page of a user's balance transactions, newest first: `$1` user id, `$2` before this id or NULL, `$3` how many. */
export const HISTORY = `
SELECT id, user_id, amount, balance_after, type, transfer_id, created_at
FROM balance_transactions
WHERE user_id = $1 AND ($2::bigint IS NULL OR id < $2)
ORDER BY id DESC
LIMIT $3`;

export const USER_EXISTS = 'SELECT 1 FROM users WHERE id = $1';

/** How a ledger function ended; anything but `applied` changed nothing. */
export type Outcome =
  | 'applied'
  | 'user_not_found'
  | 'insufficient_funds'
  | 'balance_limit_exceeded';

export interface OpenAccountRow {
  user_id: number;
  balance: number;
  version: number;
  transaction_id: number;
}

export interface ChangeBalanceRow {
  outcome: Outcome;
  balance: number;
  version: number | null;
  transaction_id: number | null;
}

export interface TransferRow {
  outcome: Outcome;
  missing_user_id: number | null;
  from_balance: number;
  to_balance: number;
  transfer_id: number | null;
  created_at: Date | null;
}

export interface BalanceTransactionRow {
  id: number;
  user_id: number;
  amount: number;
  balance_after: number;
  type: BalanceTransactionType;
  transfer_id: number | null;
  created_at: Date;
}

/** What moved a balance; the table's CHECK ties each to the sign of its amount. */
export const BALANCE_TRANSACTION_TYPES = [
  'opening',
  'credit',
  'debit',
  'transfer_in',
  'transfer_out',
] as const;

export type BalanceTransactionType = (typeof BALANCE_TRANSACTION_TYPES)[number];
