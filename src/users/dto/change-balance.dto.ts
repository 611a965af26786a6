import { ApiProperty } from '@nestjs/swagger';
import { IsInt, Max, Min, NotEquals } from 'class-validator';
import { AnnotatedDto } from '../../common/annotation.dto';

// Checked bottom-up, stopping at the first failure: the type first, then the range.
export class ChangeBalanceDto extends AnnotatedDto {
  /** Minor units: positive credits, negative debits. */
  @ApiProperty({
    type: 'integer',
    minimum: -Number.MAX_SAFE_INTEGER,
    maximum: Number.MAX_SAFE_INTEGER,
    not: { enum: [0] },
    example: -2,
    description:
      'Minor units, not 0: positive credits, negative debits (of what is available)',
  })
  @Min(-Number.MAX_SAFE_INTEGER)
  @Max(Number.MAX_SAFE_INTEGER)
  @NotEquals(0)
  @IsInt()
  amount!: number;
}
