import { Column, DataType, Model, Table } from 'sequelize-typescript';

export interface TransferAttributes {
  id: number;
  fromUserId: number;
  toUserId: number;
  amount: number;
  /** The transfer this one reverses. */
  reversalOf: number | null;
  reference: string | null;
  description: string | null;
  actor: string | null;
  requestId: string | null;
  createdAt: Date;
}

/**
 * A row of `transfers`: money moved between two users, whose two sides are balance
 * transactions sharing its id. Written by `ledger_transfer` and `ledger_reverse_transfer` alone.
 */
@Table({ tableName: 'transfers', underscored: true, updatedAt: false })
export class Transfer extends Model<TransferAttributes> {
  @Column({ type: DataType.INTEGER, allowNull: false })
  fromUserId!: number;

  @Column({ type: DataType.INTEGER, allowNull: false })
  toUserId!: number;

  @Column({ type: DataType.BIGINT, allowNull: false })
  amount!: number;

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
