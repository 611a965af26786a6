import type { LedgerEntryRow } from '../users.sql';

export class TransactionResponse {
  id!: number;
  userId!: number;
  /** Signed minor units: positive in, negative out. */
  amount!: number;
  balanceAfter!: number;
  type!: LedgerEntryRow['type'];
  transferId?: number;
  createdAt!: string;

  static of(row: LedgerEntryRow): TransactionResponse {
    return {
      id: row.id,
      userId: row.user_id,
      amount: row.amount,
      balanceAfter: row.balance_after,
      type: row.type,
      ...(row.transfer_id === null ? {} : { transferId: row.transfer_id }),
      createdAt: row.created_at.toISOString(),
    };
  }
}

export class TransactionPage {
  items!: TransactionResponse[];
  /** Pass as `cursor` for the next (older) page; null on the last page. */
  nextCursor!: string | null;
}
