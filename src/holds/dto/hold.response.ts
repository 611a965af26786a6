import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  AnnotatedResponse,
  AttributedResponse,
} from '../../common/annotation.dto';
import { NextCursorProperty } from '../../common/keyset-page';
import {
  HOLD_STATUSES,
  type HoldAttributes,
  type HoldStatus,
} from '../hold.model';
import type { HoldChange } from '../holds.repository';

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

/** A hold just placed, captured or voided, with its user's balance and available after it. */
export class HoldChangeResponse extends HoldResponse {
  @ApiProperty({ type: 'integer', minimum: 0, example: 10_000 })
  balance!: number;

  @ApiProperty({ type: 'integer', minimum: 0, example: 9_800 })
  available!: number;

  static changed({ hold, balance, available }: HoldChange): HoldChangeResponse {
    return { ...HoldResponse.of(hold), balance, available };
  }
}

export class HoldPage {
  @ApiProperty({ type: [HoldResponse] })
  items!: HoldResponse[];

  @NextCursorProperty()
  nextCursor!: string | null;
}
