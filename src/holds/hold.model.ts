import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Column, DataType, Model, Table } from 'sequelize-typescript';
import {
  AnnotatedResponse,
  AttributedResponse,
} from '../common/annotation.dto';
import { NextCursorProperty } from '../common/keyset-page';

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

/** A hold; its `actor` and `requestId` are those of the request that placed it. */
export class HoldResponse extends AttributedResponse {
  @ApiProperty({ type: 'integer', example: 7 })
  id!: number;

  @ApiProperty({ type: 'integer', example: 1 })
  userId!: number;

  @ApiProperty({ type: 'integer', minimum: 1, example: 200 })
  amount!: number;

  @ApiProperty({
    enum: HOLD_STATUSES,
    example: 'active',
    description:
      'As of the answer: an active hold whose `expiresAt` has passed is `expired`',
  })
  status!: HoldStatus;

  @ApiProperty({
    type: 'integer',
    nullable: true,
    example: null,
    description: 'What a capture took; null unless captured',
  })
  capturedAmount!: number | null;

  @ApiProperty({ format: 'date-time' })
  expiresAt!: string;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiPropertyOptional({
    type: 'integer',
    description: "Set once captured: the capture's balance transaction",
  })
  transactionId?: number;

  static of(hold: HoldAttributes): HoldResponse {
    return {
      id: hold.id,
      userId: hold.userId,
      amount: hold.amount,
      status: hold.status,
      capturedAmount: hold.capturedAmount,
      expiresAt: hold.expiresAt.toISOString(),
      createdAt: hold.createdAt.toISOString(),
      ...AnnotatedResponse.fields(hold),
      ...AttributedResponse.attribution(hold),
      ...(hold.transactionId === null
        ? {}
        : { transactionId: hold.transactionId }),
    };
  }
}

export class HoldPage {
  @ApiProperty({ type: [HoldResponse] })
  items!: HoldResponse[];

  @NextCursorProperty()
  nextCursor!: string | null;
}
