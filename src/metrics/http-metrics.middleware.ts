import { Injectable, NestMiddleware } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { NextFunction, Request, Response } from 'express';
import { Counter, Histogram } from 'prom-client';
import type { ErrorLocals } from '../common/errors.filter';
import {
  BALANCE_CHANGES,
  HTTP_REQUEST_DURATION,
  HTTP_REQUESTS,
} from './metrics.names';

/** The routes that change a balance, as Express names them once matched. */
const BALANCE_ROUTES = new Set(['POST /users/:id/balance', 'POST /transfers']);

/** What an error code means on a balance route; any other refusal is `other`. */
const BALANCE_OUTCOMES: Partial<Record<string, string>> = {
  VALIDATION_FAILED: 'validation',
  USER_NOT_FOUND: 'not_found',
  INSUFFICIENT_FUNDS: 'insufficient_funds',
  BALANCE_LIMIT_EXCEEDED: 'limit_exceeded',
};

function balanceOutcome(response: Response): string {
  if (response.statusCode < 300) {
    return response.getHeader('Idempotent-Replayed') ? 'replayed' : 'applied';
  }
  const code = (response.locals as ErrorLocals).errorCode;
  return (code && BALANCE_OUTCOMES[code]) ?? 'other';
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
      if (BALANCE_ROUTES.has(`${request.method} ${route}`)) {
        this.balanceChanges.inc({ outcome: balanceOutcome(response) });
      }
    });
    next();
  }
}
