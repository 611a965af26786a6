import { Transform } from 'class-transformer';
import { IsInt, IsOptional, Matches, Max, Min } from 'class-validator';

// Checked bottom-up, stopping at the first failure: the type first, then the range.
export class ListTransactionsQuery {
  /** 1 to 100 entries; only plain digits count as a number. */
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

  /** The `nextCursor` of the previous page. */
  @IsOptional()
  @Matches(/^[0-9A-Za-z_-]{1,32}$/, {
    message: 'cursor is not a cursor this service gave',
  })
  cursor?: string;
}
