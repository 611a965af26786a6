import { ApiProperty } from '@nestjs/swagger';
import { HoldResponse } from '../hold.model';
import type { HoldChange } from '../holds.repository';

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
