import { Column, DataType, Model, Table } from 'sequelize-typescript';

export interface UserAttributes {
  id: number;
  balance: number;
  /** Grows by one with every change of the balance. */
  version: number;
  /** No hold of the user is active after this moment (null: it never had one). */
  heldUntil: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/**
 * A row of `users`, for reads. Rows are written by the money functions of `db/functions` alone,
 * under the user's row lock; `CHECK (balance >= 0)` stands behind them.
 */
@Table({ tableName: 'users', underscored: true })
export class User extends Model<UserAttributes> {
  @Column({ type: DataType.BIGINT, allowNull: false })
  balance!: number;

  // Model declares `version` for optimistic locking, which this model does not use.
  @Column({ type: DataType.BIGINT, allowNull: false })
  override version!: number;

  @Column(DataType.DATE)
  heldUntil!: Date | null;
}

/** The one place where `available` is derived: the balance less what its active holds set aside. */
export function available(balance: number, held: number): number {
  return balance - held;
}
