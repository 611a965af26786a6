import type { TransferRow } from '../transfers.sql';

export class TransferResponse {
  id!: number;
  fromUserId!: number;
  toUserId!: number;
  amount!: number;
  /** The balances right after the transfer. */
  fromBalance!: number;
  toBalance!: number;
  createdAt!: string;

  /** Maps an applied transfer, fresh or remembered under an idempotency key. */
  static of(row: TransferRow): TransferResponse {
    return {
      id: row.id,
      fromUserId: row.from_user_id,
      toUserId: row.to_user_id,
      amount: row.amount,
      fromBalance: row.from_balance,
      toBalance: row.to_balance,
      createdAt: new Date(row.created_at).toISOString(),
    };
  }
}
