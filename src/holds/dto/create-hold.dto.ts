import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, Max, Min, ValidateIf } from 'class-validator';
import { AnnotatedDto } from '../../common/annotation.dto';

/** A week: holds are short-lived reservations, not a second balance. */
const MAX_HOLD_SECONDS = 604_800;

// Checked bottom-up, stopping at the first failure: the type first, then the range.
export class CreateHoldDto extends AnnotatedDto {
  @ApiProperty({
    type: 'integer',
    minimum: 1,
    maximum: Number.MAX_SAFE_INTEGER,
    example: 200,
    description: 'Minor units to set aside, at most what is available',
  })
  @Min(1)
  @Max(Number.MAX_SAFE_INTEGER)
  @IsInt()
  amount!: number;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: MAX_HOLD_SECONDS,
    default: 3600,
    example: 900,
    description:
      'Seconds until the hold expires by itself (it is then released at once)',
  })
  // Optional, but not null: IsOptional would let null through.
  @ValidateIf((_, value) => value !== undefined)
  @Min(1)
  @Max(MAX_HOLD_SECONDS)
  @IsInt()
  expiresInSeconds: number = 3600;
}
