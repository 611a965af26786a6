import { Global, Module } from '@nestjs/common';
import {
  makeCounterProvider,
  makeGaugeProvider,
  makeHistogramProvider,
  PrometheusModule,
} from '@willsoto/nestjs-prometheus';
import { HttpMetricsMiddleware } from './http-metrics.middleware';
import { MetricsController } from './metrics.controller';
import {
  BALANCE_CHANGES,
  DB_POOL_CONNECTIONS,
  DB_POOL_WAITING,
  HOLD_OPERATIONS,
  HTTP_REQUEST_DURATION,
  HTTP_REQUESTS,
} from './metrics.names';

const poolConnections = makeGaugeProvider({
  name: DB_POOL_CONNECTIONS,
  help: 'Database pool connections by state (open, in_use, idle)',
  labelNames: ['state'],
});

const poolWaiting = makeGaugeProvider({
  name: DB_POOL_WAITING,
  help: 'Requests waiting for a database pool connection',
});

/** `GET /metrics`: requests, balance changes and hold operations by outcome, latency, the pool, and Node's own. */
@Global()
@Module({
  imports: [
    PrometheusModule.register({
      path: '/metrics',
      controller: MetricsController,
    }),
  ],
  providers: [
    makeCounterProvider({
      name: HTTP_REQUESTS,
      help: 'HTTP requests answered, by method, route template and status',
      labelNames: ['method', 'route', 'status'],
    }),
    makeHistogramProvider({
      name: HTTP_REQUEST_DURATION,
      help: 'Time from receiving a request to answering it, in seconds',
      labelNames: ['method', 'route', 'status'],
      // A burst queues requests on the pool for seconds; the long tail matters.
      buckets: [
        0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
      ],
    }),
    makeCounterProvider({
      name: BALANCE_CHANGES,
      help: 'Balance changes and transfers by outcome (applied, replayed, insufficient_funds, validation, not_found, limit_exceeded, other)',
      labelNames: ['outcome'],
    }),
    makeCounterProvider({
      name: HOLD_OPERATIONS,
      help: 'Holds placed, captured and voided (operation) by outcome (applied, replayed, insufficient_funds, not_active, exceeds_hold, validation, not_found, other)',
      labelNames: ['operation', 'outcome'],
    }),
    poolConnections,
    poolWaiting,
    HttpMetricsMiddleware,
  ],
  // Global so that the controller, which Prometheus's module hosts, can inject the gauges.
  exports: [poolConnections, poolWaiting, HttpMetricsMiddleware],
})
export class MetricsModule {}
