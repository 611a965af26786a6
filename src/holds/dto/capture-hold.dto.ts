import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, Max, Min, ValidateIf } from 'class-validator';
import { AnnotatedDto } from '../../common/annotation.dto';

// Checked bottom-up, stopping at the first failure: the type first, then the range.
export class CaptureHoldDto extends AnnotatedDto {
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: Number.MAX_SAFE_INTEGER,
    example: 150,
    description:
      "Minor units to take, up to the hold's amount (default: all of it); the rest is released",
  })
  // Optional, but not null: IsOptional would let null through.
  @ValidateIf((_, value) => value !== undefined)
  @Min(1)
  @Max(Number.MAX_SAFE_INTEGER)
  @IsInt()
  amount?: number;
}
