import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { LedgerEntryRow } from '../users.sql';

export class TransactionResponse {
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

  @ApiProperty({
    enum: ['opening', 'credit', 'debit', 'transfer_in', 'transfer_out'],
    example: 'debit',
  })
  type!: LedgerEntryRow['type'];

  @ApiPropertyOptional({
    type: 'integer',
    description: 'Set on transfer entries',
  })
  transferId?: number;

  @ApiProperty({ format: 'date-time' })
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
  @ApiProperty({ type: [TransactionResponse] })
  items!: TransactionResponse[];

  @ApiProperty({
    type: 'string',
    nullable: true,
    example: 'Ng',
    description:
      'Pass as `cursor` for the next (older) page; null on the last page',
  })
  nextCursor!: string | null;
}
