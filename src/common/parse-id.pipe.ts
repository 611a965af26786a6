import { ArgumentMetadata, Injectable, PipeTransform } from '@nestjs/common';
import { ValidationFailedError } from './domain.error';

/** Ids are PostgreSQL `integer` identities: 1 to 2^31 - 1. */
export const MAX_ID = 2_147_483_647;

/** Parses a path id strictly: digits only, no sign, no leading zero, within the column's range. */
@Injectable()
export class ParseIdPipe implements PipeTransform<string, number> {
  transform(value: string, { data }: ArgumentMetadata): number {
    const id = /^[1-9][0-9]{0,9}$/.test(value) ? Number(value) : NaN;
    if (!(id <= MAX_ID)) {
      throw new ValidationFailedError(
        `${data ?? 'id'} must be an integer from 1 to ${MAX_ID}`,
      );
    }
    return id;
  }
}
