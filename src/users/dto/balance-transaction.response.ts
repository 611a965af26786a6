import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  AnnotatedResponse,
  AttributedResponse,
} from '../../common/annotation.dto';
import { NextCursorProperty } from '../../common/keyset-page';
import {
  BALANCE_TRANSACTION_TYPES,
  type BalanceTransactionAttributes,
  type BalanceTransactionType,
} from '../balance-transaction.model';

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
