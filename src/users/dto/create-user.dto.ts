import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, Max, Min, ValidateIf } from 'class-validator';

// Checked bottom-up, stopping at the first failure: the type first, then the range.
export class CreateUserDto {
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    maximum: Number.MAX_SAFE_INTEGER,
    default: 0,
    example: 500,
    description:
      "The opening balance in minor units, recorded as the user's first ledger entry",
  })
  // Optional, but not null: IsOptional would let null through.
  @ValidateIf((_, value) => value !== undefined)
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  @IsInt()
  balance: number = 0;
}
