import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, Matches, Max, Min } from 'class-validator';

// Checked bottom-up, stopping at the first failure: the type first, then the range.
/** `?limit=&cursor=` of a listing, paged by keyset (see keysetPage). */
export class PageQuery {
  /** Only plain digits count as a number. */
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: 100,
    default: 50,
  })
  @IsOptional()
  @Min(1)
  @Max(100)
  @IsInt()
  @Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' && /^[0-9]{1,3}$/.test(value)
      ? Number(value)
      : value,
  )
  limit: number = 50;

  @ApiPropertyOptional({ description: 'The `nextCursor` of the previous page' })
  @IsOptional()
  @Matches(/^[0-9A-Za-z_-]{1,32}$/, {
    message: 'cursor is not a cursor this service gave',
  })
  cursor?: string;
}
