import { Injectable, NestMiddleware } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { NextFunction, Request, Response } from 'express';
import { Counter, Histogram } from 'prom-client';
import type { ErrorLocals } from '../common/errors.filter';
import type { MoneyRouteLocals } from '../idempotency/idempotent.decorator';
import { REPLAYED_HEADER } from '../idempotency/idempotency.service';
import {
  BALANCE_CHANGES,
  HOLD_OPERATIONS,
  HTTP_REQUEST_DURATION,
  HTTP_REQUESTS,
} from './metrics.names';

/** A money route's outcome: applied, replayed, or what its error's spec says it counts as. */
function outcomeOf(response: Response): string {
  if (response.statusCode < 300) {
    return response.getHeader(REPLAYED_HEADER) ? 'replayed' : 'applied';
  }
  return (response.locals as ErrorLocals).errorOutcome ?? 'other';
}

/**
 * Counts and times every request once it is answered, by route template (never the raw URL,
 * which would make a label per user) and status; a money route's outcome also goes to the
 * counter its `@Idempotent()` names. A request refused before routing (without an API key; a
 * body too large, not JSON or malformed) or for no route counts under the route `unmatched`.
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
      const counter = (response.locals as MoneyRouteLocals).moneyCounter;
      if (counter?.metric === 'balance_changes') {
        this.balanceChanges.inc({ outcome: outcomeOf(response) });
      } else if (counter?.metric === 'hold_operations') {
        this.holdOperations.inc({
          operation: counter.operation,
          outcome: outcomeOf(response),
        });
      }
    });
    next();
  }
}
