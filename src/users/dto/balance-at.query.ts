import { ApiProperty } from '@nestjs/swagger';
import { IsString, Matches, ValidateBy } from 'class-validator';

/**
 * RFC 3339 with an offset, years 0001 to 9999 and offsets within ±14:59 (PostgreSQL refuses
 * year 0 and offsets past ±15:59).
 */
const TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})[Tt]([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,9})?([Zz]|[+-](0\d|1[0-4]):[0-5]\d)$/;

const AT_MESSAGE =
  'at must be an RFC 3339 timestamp with an offset, such as 2026-12-01T12:00:00Z';

/** A day that exists: the pattern lets 2026-02-30 through. */
function isCalendarDate(value: unknown): boolean {
  const match = typeof value === 'string' ? TIMESTAMP.exec(value) : null;
  if (!match) return false;
  const [year, month, day] = [match[1], match[2], match[3]].map(Number);
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  return (
    year >= 1 && date.getUTCMonth() === month - 1 && date.getUTCDate() === day
  );
}

// Checked bottom-up, stopping at the first failure: the type first, then the form.
export class BalanceAtQuery {
  @ApiProperty({
    type: 'string',
    format: 'date-time',
    example: '2026-12-01T12:00:00Z',
    description:
      'RFC 3339 with an offset (`Z` or `±hh:mm`), to the microsecond: the balance right after the last balance transaction at or before it',
  })
  @ValidateBy({
    name: 'isCalendarDate',
    validator: {
      validate: isCalendarDate,
      defaultMessage: () => AT_MESSAGE,
    },
  })
  @Matches(TIMESTAMP, { message: AT_MESSAGE })
  @IsString({ message: AT_MESSAGE })
  at!: string;
}
