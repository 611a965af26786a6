import { Controller, Get, Res } from '@nestjs/common';
import {
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiTags,
} from '@nestjs/swagger';
import {
  InjectMetric,
  PrometheusController,
} from '@willsoto/nestjs-prometheus';
import type { Response } from 'express';
import { Gauge } from 'prom-client';
import { Sequelize } from 'sequelize-typescript';
import { poolState } from '../database/sequelize-internals';
import { DB_POOL_CONNECTIONS, DB_POOL_WAITING } from './metrics.names';

/** `GET /metrics`: Prometheus text. The pool is read at scrape time, so requests pay nothing. */
@ApiTags('metrics')
@Controller()
export class MetricsController extends PrometheusController {
  constructor(
    private readonly sequelize: Sequelize,
    @InjectMetric(DB_POOL_CONNECTIONS) private readonly connections: Gauge,
    @InjectMetric(DB_POOL_WAITING) private readonly waiting: Gauge,
  ) {
    super();
  }

  @Get()
  @ApiOperation({ summary: 'Prometheus metrics' })
  @ApiProduces('text/plain')
  @ApiOkResponse({
    description: 'Prometheus text exposition format',
    schema: {
      type: 'string',
      example: 'balance_changes_total{outcome="applied"} 5000',
    },
  })
  override index(@Res({ passthrough: true }) response: Response) {
    const pool = poolState(this.sequelize);
    this.connections.set({ state: 'open' }, pool.size);
    this.connections.set({ state: 'in_use' }, pool.using);
    this.connections.set({ state: 'idle' }, pool.available);
    this.waiting.set(pool.waiting);
    return super.index(response);
  }
}
