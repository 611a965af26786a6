import { ApiParam } from '@nestjs/swagger';
import { MAX_BIG_ID } from '../common/parse-id.pipe';

/**
 * The `:id` of a route, e.g. `@ApiIdParam(2)`; a user's id is an INTEGER, so its routes pass
 * `MAX_ID` where every other id is a BIGINT.
 */
export const ApiIdParam = (example: number, maximum = MAX_BIG_ID) =>
  ApiParam({
    name: 'id',
    schema: { type: 'integer', minimum: 1, maximum, example },
  });
