import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { AnnotatedResponse } from '../../common/annotation.dto';
import { BALANCE_TRANSACTION_TYPES } from '../../users/balance-transaction.model';
import { HOLD_EVENT_TYPES, type EventRow } from '../events.repository';

/** One change of money: a balance transaction, or a hold placed, captured or voided. */
export class EventResponse extends AnnotatedResponse {
  @ApiProperty({ type: 'integer', example: 7 })
  id!: number;

  @ApiProperty({
    enum: [...BALANCE_TRANSACTION_TYPES, ...HOLD_EVENT_TYPES],
    example: 'debit',
  })
  type!: string;

  @ApiProperty({ type: 'integer', example: 1 })
  userId!: number;

  @ApiProperty({
    type: 'integer',
    example: -2,
    description:
      "A balance transaction's signed amount; a hold event's: the hold's amount (captured: what was taken)",
  })
  amount!: number;

  @ApiPropertyOptional({
    type: 'integer',
    example: 9_998,
    description: 'Set on balance transactions',
  })
  balanceAfter?: number;

  @ApiPropertyOptional({
    type: 'integer',
    description: "The balance transaction (a capture's, for `hold_captured`)",
  })
  transactionId?: number;

  @ApiPropertyOptional({ type: 'integer' })
  transferId?: number;

  @ApiPropertyOptional({ type: 'integer' })
  holdId?: number;

  @ApiPropertyOptional({
    type: 'integer',
    description: 'Set on reversals: the balance transaction reversed',
  })
  reversalOf?: number;

  @ApiProperty({
    type: 'string',
    nullable: true,
    example: 'billing',
    description:
      'The name of the API key that made the change; null for changes made before actors were recorded',
  })
  actor!: string | null;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  static of(row: EventRow): EventResponse {
    return {
      id: row.id,
      type: row.type,
      userId: row.user_id,
      amount: Number(row.amount),
      ...optional('balanceAfter', row.balance_after),
      ...optional('transactionId', row.transaction_id),
      ...optional('transferId', row.transfer_id),
      ...optional('holdId', row.hold_id),
      ...optional('reversalOf', row.reversal_of),
      ...AnnotatedResponse.fields(row),
      actor: row.actor,
      createdAt: new Date(row.created_at).toISOString(),
    };
  }
}

function optional<Name extends string>(
  name: Name,
  value: number | null,
): { [N in Name]?: number } {
  return (value === null ? {} : { [name]: Number(value) }) as {
    [N in Name]?: number;
  };
}

export class EventPage {
  @ApiProperty({ type: [EventResponse] })
  items!: EventResponse[];

  @ApiProperty({
    type: 'string',
    example: 'NzQ4MjEzLjQx',
    description:
      'Pass as `after` for the next page; the same cursor again when nothing new was visible',
  })
  nextCursor!: string;
}
