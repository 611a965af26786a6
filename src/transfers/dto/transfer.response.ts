import { ApiProperty } from '@nestjs/swagger';
import type { TransferRow } from '../transfers.sql';

export class TransferResponse {
  @ApiProperty({ type: 'integer', example: 1 })
  id!: number;

  @ApiProperty({ type: 'integer', example: 1 })
  fromUserId!: number;

  @ApiProperty({ type: 'integer', example: 2 })
  toUserId!: number;

  @ApiProperty({ type: 'integer', example: 300 })
  amount!: number;

  @ApiProperty({
    type: 'integer',
    example: 9_700,
    description: "The source's balance right after the transfer",
  })
  fromBalance!: number;

  @ApiProperty({
    type: 'integer',
    example: 800,
    description: "The target's balance right after the transfer",
  })
  toBalance!: number;

  @ApiProperty({ format: 'date-time' })
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
