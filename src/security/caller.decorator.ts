import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { REQUEST_ID, type RequestWithId } from '../logging/logging.module';
import { ACTOR, type RequestWithCaller } from './api-key.middleware';

/** Who made a change, recorded with it: the API key's name and the request's id. */
export interface Caller {
  /** The name of the API key; `anonymous` when the service runs without API_KEYS. */
  actor: string;
  /** The request's `X-Request-Id` (given, else assigned); null when not made by a request. */
  requestId: string | null;
}

const ANONYMOUS = 'anonymous';

/**
 * The caller of a route that changes money, as the API-key middleware and the request logger
 * left it on the request: read per request from the request itself, so no provider holds
 * per-request state.
 */
export const RequestCaller = createParamDecorator(
  (_: unknown, context: ExecutionContext): Caller => {
    const request = context
      .switchToHttp()
      .getRequest<RequestWithCaller & RequestWithId>();
    return {
      actor: request[ACTOR] ?? ANONYMOUS,
      requestId: request[REQUEST_ID] ?? null,
    };
  },
);
