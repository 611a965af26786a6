import { ArgumentMetadata, Injectable, PipeTransform } from '@nestjs/common';
import { ValidationFailedError } from './domain.error';

/** Ids are PostgreSQL `integer` identities: 1 to 2^31 - 1. */
export const MAX_ID = 2_147_483_647;

/** Ids of `bigint` identities (holds), as far as a JSON number is exact. */
export const MAX_BIG_ID = Number.MAX_SAFE_INTEGER;

/** Parses a path id strictly: digits only, no sign, no leading zero, within the column's range. */
@Injectable()
export class ParseIdPipe implements PipeTransform<string, number> {
  protected readonly max: number = MAX_ID;

  transform(value: string, { data }: ArgumentMetadata): number {
    const id = /^[1-9][0-9]{0,15}$/.test(value) ? Number(value) : NaN;
    if (!(id <= this.max)) {
      throw new ValidationFailedError(
        `${data ?? 'id'} must be an integer from 1 to ${this.max}`,
      );
    }
    return id;
  }
}

/** ParseIdPipe for the id of a `bigint` identity. */
@Injectable()
export class ParseBigIdPipe extends ParseIdPipe {
  protected override readonly max = MAX_BIG_ID;
}
