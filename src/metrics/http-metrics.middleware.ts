import { Injectable, NestMiddleware } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { NextFunction, Request, Response } from 'express';
import { Counter, Histogram } from 'prom-client';
import {
  BALANCE_CHANGES,
  HTTP_REQUEST_DURATION,
  HTTP_REQUESTS,
} from './metrics.names';

/** The routes that change a balance, as Express names them once matched. */
const BALANCE_ROUTES = new Set(['POST /users/:id/balance']);

/** What a status means on a balance route; anything else is `other`. */
const BALANCE_OUTCOMES: Partial<Record<number, string>> = {
  200: 'applied',
  201: 'applied',
  400: 'validation',
  404: 'not_found',
  409: 'insufficient_funds',
  422: 'limit_exceeded',
};

/** The route Express reports for a request that went no further than the app-wide middleware. */
const MIDDLEWARE_ROUTE = '/*path';

/**
 * Counts and times every request once it is answered, by route template (never the raw URL,
 * which would make a label per user) and status. A request refused before routing (a body
 * too large, not JSON or malformed) or for no route counts under the route `unmatched`.
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
      const matched = (request.route as { path?: string } | undefined)?.path;
      const route =
        matched === undefined || matched === MIDDLEWARE_ROUTE
          ? 'unmatched'
          : matched;
      const labels = {
        method: request.method,
        route,
        status: response.statusCode,
      };
      this.requests.inc(labels);
      this.duration.observe(labels, (performance.now() - started) / 1000);
      if (BALANCE_ROUTES.has(`${request.method} ${route}`)) {
        this.balanceChanges.inc({
          outcome: BALANCE_OUTCOMES[response.statusCode] ?? 'other',
        });
      }
    });
    next();
  }
}
