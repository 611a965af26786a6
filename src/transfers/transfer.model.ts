import { Column, DataType, Model, Table } from 'sequelize-typescript';

export interface TransferAttributes {
  id: number;
  fromUserId: number;
  toUserId: number;
  amount: number;
  reference: string | null;
  description: string | null;
  createdAt: Date;
}

/**
 * A row of `transfers`: money moved between two users, whose two sides are balance
 * transactions sharing its id. Written by `ledger_transfer` alone.
 */
@Table({ tableName: 'transfers', underscored: true, updatedAt: false })
export class Transfer extends Model<TransferAttributes> {
  @Column({ type: DataType.INTEGER, allowNull: false })
  fromUserId!: number;

  @Column({ type: DataType.INTEGER, allowNull: false })
  toUserId!: number;

  @Column({ type: DataType.BIGINT, allowNull: false })
  amount!: number;

  @Column(DataType.TEXT)
  reference!: string | null;

  @Column(DataType.TEXT)
  description!: string | null;
}
