import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Column, DataType, Model, Table } from 'sequelize-typescript';
import {
  AnnotatedResponse,
  AttributedResponse,
} from '../common/annotation.dto';
import { NextCursorProperty } from '../common/keyset-page';

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

/** One balance transaction: an entry of the user's ledger. */
export class BalanceTransactionResponse extends AttributedResponse {
  @ApiProperty({ type: 'integer', example: 2 })
  id!: number;

  @ApiProperty({ type: 'integer', example: 1 })
  userId!: number;

  @ApiProperty({
    type: 'integer',
    example: -2,
    description: 'Signed minor units: positive in, negative out',
  })
  amount!: number;

  @ApiProperty({ type: 'integer', minimum: 0, example: 9_998 })
  balanceAfter!: number;

  @ApiProperty({ enum: BALANCE_TRANSACTION_TYPES, example: 'debit' })
  type!: BalanceTransactionType;

  @ApiPropertyOptional({
    type: 'integer',
    description: 'Set on transfer entries',
  })
  transferId?: number;

  @ApiPropertyOptional({
    type: 'integer',
    description: 'Set on capture entries: the hold captured',
  })
  holdId?: number;

  @ApiPropertyOptional({
    type: 'integer',
    description:
      'Set on a reversal, and on the sides of a transfer that reverses a transfer: the balance transaction it reverses',
  })
  reversalOf?: number;

  @ApiProperty({
    format: 'date-time',
    description:
      "Taken under the user's row lock, to the millisecond: never goes backwards within a user's ledger",
  })
  createdAt!: string;

  static of(entry: BalanceTransactionAttributes): BalanceTransactionResponse {
    return {
      id: entry.id,
      userId: entry.userId,
      amount: entry.amount,
      balanceAfter: entry.balanceAfter,
      type: entry.type,
      ...(entry.transferId === null ? {} : { transferId: entry.transferId }),
      ...(entry.holdId === null ? {} : { holdId: entry.holdId }),
      ...(entry.reversalOf === null ? {} : { reversalOf: entry.reversalOf }),
      ...AnnotatedResponse.fields(entry),
      ...AttributedResponse.attribution(entry),
      createdAt: entry.createdAt.toISOString(),
    };
  }
}

export class BalanceTransactionPage {
  @ApiProperty({ type: [BalanceTransactionResponse] })
  items!: BalanceTransactionResponse[];

  @NextCursorProperty()
  nextCursor!: string | null;
}
