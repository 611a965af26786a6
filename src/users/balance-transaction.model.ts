import { Column, DataType, Model, Table } from 'sequelize-typescript';

/** What moved a balance; the table's CHECK ties each to the sign of its amount. */
export const BALANCE_TRANSACTION_TYPES = [
  'opening',
  'credit',
  'debit',
  'transfer_in',
  'transfer_out',
  'capture',
  'reversal',
] as const;

export type BalanceTransactionType = (typeof BALANCE_TRANSACTION_TYPES)[number];

export interface BalanceTransactionAttributes {
  id: number;
  userId: number;
  /** Signed minor units: positive in, negative out. */
  amount: number;
  balanceAfter: number;
  type: BalanceTransactionType;
  transferId: number | null;
  holdId: number | null;
  /** The entry this one reverses: a `reversal`'s, or a side of a transfer's reversal. */
  reversalOf: number | null;
  reference: string | null;
  description: string | null;
  /** Who made it (null on entries written before it was recorded). */
  actor: string | null;
  requestId: string | null;
  /** Taken under the user's row lock: never goes backwards within a user in id order. */
  createdAt: Date;
}

/**
 * A row of `balance_transactions`, the append-only ledger, for reads: for every user, balance =
 * sum(amount), and each balance_after is the running sum in id order. Appended by
 * `ledger_append` alone; a trigger refuses every UPDATE and DELETE.
 */
@Table({
  tableName: 'balance_transactions',
  underscored: true,
  updatedAt: false,
})
export class BalanceTransaction extends Model<BalanceTransactionAttributes> {
  @Column({ type: DataType.INTEGER, allowNull: false })
  userId!: number;

  @Column({ type: DataType.BIGINT, allowNull: false })
  amount!: number;

  @Column({ type: DataType.BIGINT, allowNull: false })
  balanceAfter!: number;

  @Column({ type: DataType.TEXT, allowNull: false })
  type!: BalanceTransactionType;

  @Column(DataType.BIGINT)
  transferId!: number | null;

  @Column(DataType.BIGINT)
  holdId!: number | null;

  @Column(DataType.BIGINT)
  reversalOf!: number | null;

  @Column(DataType.TEXT)
  reference!: string | null;

  @Column(DataType.TEXT)
  description!: string | null;

  @Column(DataType.TEXT)
  actor!: string | null;

  @Column(DataType.TEXT)
  requestId!: string | null;
}
