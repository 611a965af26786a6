import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, Matches, Max, Min } from 'class-validator';

/** Only plain digits count as a number. */
const digits = (maxLength: number) =>
  Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' &&
    new RegExp(`^[0-9]{1,${maxLength}}$`).test(value)
      ? Number(value)
      : value,
  );

// Checked bottom-up, stopping at the first failure: the type first, then the range.
/** `?after=&limit=&waitSeconds=` of GET /events. */
export class ListEventsQuery {
  @ApiPropertyOptional({
    description:
      'The `nextCursor` of the previous page; absent: from the first event',
  })
  @IsOptional()
  @Matches(/^[0-9A-Za-z_-]{1,64}$/, {
    message: 'after is not a cursor this service gave',
  })
  after?: string;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: 1000,
    default: 100,
  })
  @IsOptional()
  @Min(1)
  @Max(1000)
  @IsInt()
  @digits(4)
  limit: number = 100;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    maximum: 30,
    default: 0,
    description:
      'When no event after `after` is visible yet, wait up to this long for one',
  })
  @IsOptional()
  @Min(0)
  @Max(30)
  @IsInt()
  @digits(2)
  waitSeconds: number = 0;
}
