import { Injectable, NestMiddleware } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { NextFunction, Request, Response } from 'express';
import { Counter, Histogram } from 'prom-client';
import type { ErrorLocals } from '../common/errors.filter';
import { REPLAYED_HEADER } from '../idempotency/idempotency.service';
import {
  BALANCE_CHANGES,
  HOLD_OPERATIONS,
  HTTP_REQUEST_DURATION,
  HTTP_REQUESTS,
} from './metrics.names';

/** The routes that change a balance, as Express names them once matched. */
const BALANCE_ROUTES = new Set(['POST /users/:id/balance', 'POST /transfers']);

/** The routes that place or settle a hold, and the operation each counts as. */
const HOLD_ROUTES: Partial<Record<string, string>> = {
  'POST /users/:id/holds': 'place',
  'POST /holds/:id/capture': 'capture',
  'POST /holds/:id/void': 'void',
};

/** What an error code means on those routes; any other refusal is `other`. */
const OUTCOMES: Partial<Record<string, string>> = {
  VALIDATION_FAILED: 'validation',
  USER_NOT_FOUND: 'not_found',
  HOLD_NOT_FOUND: 'not_found',
  INSUFFICIENT_FUNDS: 'insufficient_funds',
  BALANCE_LIMIT_EXCEEDED: 'limit_exceeded',
  HOLD_NOT_ACTIVE: 'not_active',
  CAPTURE_EXCEEDS_HOLD: 'exceeds_hold',
};

function outcomeOf(response: Response): string {
  if (response.statusCode < 300) {
    return response.getHeader(REPLAYED_HEADER) ? 'replayed' : 'applied';
  }
  const code = (response.locals as ErrorLocals).errorCode;
  return (code && OUTCOMES[code]) ?? 'other';
}

/**
 * Counts and times every request once it is answered, by route template (never the raw URL,
 * which would make a label per user) and status. A request refused before routing (without
 * an API key; a body too large, not JSON or malformed) or for no route counts under the
 * route `unmatched`.
 */
@Injectable()
export class HttpMetricsMiddleware implements NestMiddleware {
  constructor(
    @InjectMetric(HTTP_REQUESTS) private readonly requests: Counter,
    @InjectMetric(HTTP_REQUEST_DURATION) private readonly duration: Histogram,
    @InjectMetric(BALANCE_CHANGES) private readonly balanceChanges: Counter,
    @InjectMetric(HOLD_OPERATIONS) private readonly holdOperations: Counter,
  ) {}

  use(request: Request, response: Response, next: NextFunction): void {
    const started = performance.now();
    response.once('finish', () => {
      const route =
        (request.route as { path?: string } | undefined)?.path ?? 'unmatched';
      const labels = {
        method: request.method,
        route,
        status: response.statusCode,
      };
      this.requests.inc(labels);
      this.duration.observe(labels, (performance.now() - started) / 1000);
      const operation = `${request.method} ${route}`;
      if (BALANCE_ROUTES.has(operation)) {
        this.balanceChanges.inc({ outcome: outcomeOf(response) });
      }
      const hold = HOLD_ROUTES[operation];
      if (hold) {
        this.holdOperations.inc({
          operation: hold,
          outcome: outcomeOf(response),
        });
      }
    });
    next();
  }
}
