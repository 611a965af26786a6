import type { BalanceTransactionType } from './ledger.sql';

/** What the ledger's operations return: domain results, mapped to HTTP by the controllers. */

export interface OpenedAccount {
  userId: number;
  balance: number;
  version: number;
  transactionId: number;
}

export interface BalanceChange {
  userId: number;
  balance: number;
  version: number;
  /** The balance transaction that records it. */
  transactionId: number;
}

export interface Transfer {
  id: number;
  fromUserId: number;
  toUserId: number;
  amount: number;
  fromBalance: number;
  toBalance: number;
  createdAt: Date;
}

/** One entry of the ledger. */
export interface BalanceTransaction {
  id: number;
  userId: number;
  amount: number;
  balanceAfter: number;
  type: BalanceTransactionType;
  transferId: number | null;
  createdAt: Date;
}
