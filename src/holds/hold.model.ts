import { Column, DataType, Model, Table } from 'sequelize-typescript';

/** `expired` is never stored: an active hold past its `expires_at` is expired. */
export const HOLD_STATUSES = [
  'active',
  'captured',
  'voided',
  'expired',
] as const;

export type HoldStatus = (typeof HOLD_STATUSES)[number];

export interface HoldAttributes {
  id: number;
  userId: number;
  amount: number;
  /** As of when it was read or changed. */
  status: HoldStatus;
  /** What a capture took; null unless captured. */
  capturedAmount: number | null;
  expiresAt: Date;
  reference: string | null;
  description: string | null;
  /** Who placed it (null on holds placed before it was recorded). */
  actor: string | null;
  requestId: string | null;
  /** The capture's balance transaction. */
  transactionId: number | null;
  createdAt: Date;
}

/** Its status now, as `hold_status` judges it by PostgreSQL's clock. */
export const HOLD_STATUS_NOW = 'hold_status(status, expires_at, now())';

/**
 * A row of `holds`: money set aside from what a user has available until it is captured,
 * voided or expires. Written by the hold functions of db/functions alone, under its user's lock.
 * Read through this model with `status` as of now (HOLD_STATUS_NOW).
 */
@Table({ tableName: 'holds', underscored: true, updatedAt: false })
export class Hold extends Model<HoldAttributes> {
  @Column({ type: DataType.INTEGER, allowNull: false })
  userId!: number;

  @Column({ type: DataType.BIGINT, allowNull: false })
  amount!: number;

  @Column({ type: DataType.TEXT, allowNull: false })
  status!: HoldStatus;

  @Column(DataType.BIGINT)
  capturedAmount!: number | null;

  @Column({ type: DataType.DATE, allowNull: false })
  expiresAt!: Date;

  @Column(DataType.TEXT)
  reference!: string | null;

  @Column(DataType.TEXT)
  description!: string | null;

  @Column(DataType.TEXT)
  actor!: string | null;

  @Column(DataType.TEXT)
  requestId!: string | null;

  @Column(DataType.BIGINT)
  transactionId!: number | null;
}
