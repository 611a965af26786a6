import { ApiParam } from '@nestjs/swagger';
import { MAX_BIG_ID, MAX_ID } from '../common/parse-id.pipe';

/** The `:id` of a user's routes. */
export const ApiUserIdParam = () =>
  ApiParam({
    name: 'id',
    schema: { type: 'integer', minimum: 1, maximum: MAX_ID, example: 1 },
  });

/** The `:id` of a hold's routes. */
export const ApiHoldIdParam = () =>
  ApiParam({
    name: 'id',
    schema: { type: 'integer', minimum: 1, maximum: MAX_BIG_ID, example: 7 },
  });

/** The `:id` of a balance transaction's routes. */
export const ApiTransactionIdParam = () =>
  ApiParam({
    name: 'id',
    schema: { type: 'integer', minimum: 1, maximum: MAX_BIG_ID, example: 2 },
  });

/** The `:id` of a transfer's routes. */
export const ApiTransferIdParam = () =>
  ApiParam({
    name: 'id',
    schema: { type: 'integer', minimum: 1, maximum: MAX_BIG_ID, example: 3 },
  });
