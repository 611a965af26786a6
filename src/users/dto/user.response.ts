import type { BalanceChangeRow, UserRow } from '../users.sql';

export class UserResponse {
  id!: number;
  balance!: number;
  /** Grows by one with every change of the balance. */
  version!: number;

  static of(user: UserRow): UserResponse {
    return { id: user.id, balance: user.balance, version: user.version };
  }
}

export class BalanceResponse {
  userId!: number;
  balance!: number;
  version!: number;
  /** The ledger entry of this change. */
  transactionId!: number;

  /** Maps an applied change, fresh or remembered under an idempotency key. */
  static of(row: BalanceChangeRow): BalanceResponse {
    return {
      userId: row.user_id,
      balance: row.balance,
      version: row.version,
      transactionId: row.transaction_id,
    };
  }
}
