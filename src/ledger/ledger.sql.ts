/**
 * The statements of the money path: each calls one function of the ledger's migrations
 * (`db/migrations/*.ledger-functions.up.sql`, replaced and extended by `*.holds.up.sql`), where
 * its rules, locks and writes are, with bound parameters. Run inside a managed transaction.
 */

/** `$1` opening balance → the new user and its opening balance transaction. */
export const OPEN_ACCOUNT = 'SELECT * FROM ledger_open_account($1)';

/** The seed: the first user, only while there is none. `$1` its opening balance. */
export const OPEN_FIRST_ACCOUNT =
  'SELECT ledger_open_account($1) WHERE NOT EXISTS (SELECT FROM users)';

/** `$1` user id, `$2` signed amount; `$3` reference, `$4` description (or NULL). */
export const CHANGE_BALANCE =
  'SELECT * FROM ledger_change_balance($1, $2, $3, $4)';

/** `$1` source, `$2` target, `$3` amount (> 0); `$4` reference, `$5` description (or NULL). */
export const TRANSFER = 'SELECT * FROM ledger_transfer($1, $2, $3, $4, $5)';

/** `$1` user id: its balance, version, and what its holds set aside now. */
export const ACCOUNT = `
SELECT u.balance, u.version, ledger_held(u.id, u.held_until, now()) AS held
FROM users u
WHERE u.id = $1`;

/**
 * One page of a user's balance transactions, newest first: `$1` user id, `$2` before this id or
 * NULL, `$3` how many, `$4` only those with this reference (or NULL). Planned with its values,
 * so a reference reads balance_transactions_user_id_reference_id.
 */
export const HISTORY = `
SELECT id, user_id, amount, balance_after, type, transfer_id, hold_id, reference, description,
       created_at
FROM balance_transactions
WHERE user_id = $1 AND ($2::bigint IS NULL OR id < $2) AND ($4::text IS NULL OR reference = $4)
ORDER BY id DESC
LIMIT $3`;

export const USER_EXISTS = 'SELECT 1 FROM users WHERE id = $1';

/** A hold's columns, with its status as of `status` (an active hold past its expiry is expired). */
const holdColumns = (hold: string, status: string) =>
  `${hold}.id, ${hold}.user_id, ${hold}.amount, ${status} AS status, ${hold}.captured_amount,
   ${hold}.expires_at, ${hold}.created_at, ${hold}.reference, ${hold}.description,
   ${hold}.transaction_id`;

/** What the hold functions return: the outcome, the user's balance and held after it, the hold. */
const holdOperation = (call: string) =>
  `SELECT r.outcome, r.balance, r.held, ${holdColumns('(r.hold)', 'r.status')} FROM ${call} r`;

/** `$1` user id, `$2` amount, `$3` seconds until it expires, `$4` reference, `$5` description. */
export const PLACE_HOLD = holdOperation(
  'ledger_place_hold($1, $2, $3, $4, $5)',
);

/** `$1` hold id, `$2` amount (NULL: all of it), `$3` reference, `$4` description. */
export const CAPTURE_HOLD = holdOperation(
  'ledger_capture_hold($1, $2, $3, $4)',
);

/** `$1` hold id. */
export const VOID_HOLD = holdOperation('ledger_void_hold($1)');

const HOLD_NOW = holdColumns('h', 'hold_status(h.status, h.expires_at, now())');

/** `$1` hold id. */
export const HOLD = `SELECT ${HOLD_NOW} FROM holds h WHERE h.id = $1`;

/**
 * One page of a user's holds, newest first: `$1` user id, `$2` before this id or NULL, `$3` how
 * many, `$4` only those with this status now (or NULL).
 */
export const HOLDS = `
SELECT ${HOLD_NOW}
FROM holds h
WHERE h.user_id = $1 AND ($2::bigint IS NULL OR h.id < $2)
  AND ($4::text IS NULL OR hold_status(h.status, h.expires_at, now()) = $4)
ORDER BY h.id DESC
LIMIT $3`;

/** How a ledger function ended; anything but `applied` changed nothing. */
export type Outcome =
  | 'applied'
  | 'user_not_found'
  | 'insufficient_funds'
  | 'balance_limit_exceeded';

export type HoldOutcome =
  | 'applied'
  | 'user_not_found'
  | 'insufficient_funds'
  | 'hold_not_found'
  | 'hold_not_active'
  | 'capture_exceeds_hold';

export interface OpenAccountRow {
  user_id: number;
  balance: number;
  version: number;
  transaction_id: number;
}

export interface AccountRow {
  balance: number;
  version: number;
  held: number;
}

export interface ChangeBalanceRow {
  outcome: Outcome;
  balance: number;
  /** Read by debits only. */
  held: number | null;
  version: number | null;
  transaction_id: number | null;
}

export interface TransferRow {
  outcome: Outcome;
  missing_user_id: number | null;
  from_balance: number;
  from_held: number | null;
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
  hold_id: number | null;
  reference: string | null;
  description: string | null;
  created_at: Date;
}

export interface HoldRow {
  id: number;
  user_id: number;
  amount: number;
  status: HoldStatus;
  captured_amount: number | null;
  expires_at: Date;
  created_at: Date;
  reference: string | null;
  description: string | null;
  transaction_id: number | null;
}

/** The hold's columns are NULL when the operation found no hold or refused to place one. */
export type HoldOperationRow = {
  outcome: HoldOutcome;
  balance: number | null;
  held: number | null;
} & { [Column in keyof HoldRow]: HoldRow[Column] | null };

/** `expired` is never stored: an active hold past its `expires_at` is expired. */
export const HOLD_STATUSES = [
  'active',
  'captured',
  'voided',
  'expired',
] as const;

export type HoldStatus = (typeof HOLD_STATUSES)[number];

/** What moved a balance; the table's CHECK ties each to the sign of its amount. */
export const BALANCE_TRANSACTION_TYPES = [
  'opening',
  'credit',
  'debit',
  'transfer_in',
  'transfer_out',
  'capture',
] as const;

export type BalanceTransactionType = (typeof BALANCE_TRANSACTION_TYPES)[number];
