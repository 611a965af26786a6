import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  AnnotatedResponse,
  AttributedResponse,
} from '../../common/annotation.dto';
import type { TransferMade } from '../transfers.repository';

export class TransferResponse extends AttributedResponse {
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

  @ApiPropertyOptional({
    type: 'integer',
    description: 'Set on the reversal of a transfer: the transfer it reverses',
  })
  reversalOf?: number;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  static of(transfer: TransferMade): TransferResponse {
    return {
      id: transfer.id,
      fromUserId: transfer.fromUserId,
      toUserId: transfer.toUserId,
      amount: transfer.amount,
      fromBalance: transfer.fromBalance,
      toBalance: transfer.toBalance,
      ...(transfer.reversalOf === null
        ? {}
        : { reversalOf: transfer.reversalOf }),
      ...AnnotatedResponse.fields(transfer),
      ...AttributedResponse.attribution(transfer),
      createdAt: transfer.createdAt.toISOString(),
    };
  }
}
