import type { Annotation } from '../common/annotation.dto';
import type { BalanceTransactionType, HoldStatus } from './ledger.sql';

/** What the ledger's operations return: domain results, mapped to HTTP by the controllers. */

export interface OpenedAccount {
  userId: number;
  balance: number;
  version: number;
  transactionId: number;
}

/** The one place where `available` is derived: the balance less what its active holds set aside. */
export function available(balance: number, held: number): number {
  return balance - held;
}

/** A user's money now: `available` = `balance` - `held` (its active holds). */
export interface Account {
  userId: number;
  balance: number;
  held: number;
  available: number;
  version: number;
}

export interface BalanceChange extends Annotation {
  userId: number;
  balance: number;
  version: number;
  /** The balance transaction that records it. */
  transactionId: number;
}

export interface Transfer extends Annotation {
  id: number;
  fromUserId: number;
  toUserId: number;
  amount: number;
  fromBalance: number;
  toBalance: number;
  createdAt: Date;
}

/** One entry of the ledger. */
export interface BalanceTransaction extends Annotation {
  id: number;
  userId: number;
  amount: number;
  balanceAfter: number;
  type: BalanceTransactionType;
  transferId: number | null;
  holdId: number | null;
  createdAt: Date;
}

/** Money set aside; `status` as of when it was read or changed. */
export interface Hold extends Annotation {
  id: number;
  userId: number;
  amount: number;
  status: HoldStatus;
  capturedAmount: number | null;
  expiresAt: Date;
  createdAt: Date;
  /** The capture's balance transaction. */
  transactionId: number | null;
}

/** A hold just placed, captured or voided, with its user's balance and available after it. */
export interface HoldChange {
  hold: Hold;
  balance: number;
  available: number;
}
