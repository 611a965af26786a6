import { Controller, Get } from '@nestjs/common';
import {
  HealthCheck,
  HealthCheckResult,
  HealthCheckService,
  SequelizeHealthIndicator,
} from '@nestjs/terminus';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ServiceUnavailableError } from '../common/common.errors';
import { ApiErrorResponses } from '../docs/api-error-responses.decorator';

const UP = {
  status: 'ok',
  info: { database: { status: 'up' } },
  error: {},
  details: { database: { status: 'up' } },
};

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: SequelizeHealthIndicator,
  ) {}

  /** Readiness: 200 when PostgreSQL answers within a second, else 503. */
  @Get()
  @HealthCheck({ swaggerDocumentation: false })
  @ApiOperation({ summary: 'Readiness: the service and PostgreSQL answer' })
  @ApiOkResponse({ schema: { type: 'object', example: UP } })
  @ApiErrorResponses(ServiceUnavailableError)
  check(): Promise<HealthCheckResult> {
    return this.health.check([
      () => this.database.pingCheck('database', { timeout: 1_000 }),
    ]);
  }

  /**
   * Liveness: 200 while the process serves HTTP, whatever the database does, so that an
   * orchestrator restarts a wedged process but not every replica during a database outage.
   */
  @Get('live')
  @HealthCheck({ swaggerDocumentation: false })
  @ApiOperation({ summary: 'Liveness: the process serves HTTP' })
  @ApiOkResponse({
    schema: {
      type: 'object',
      example: { status: 'ok', info: {}, error: {}, details: {} },
    },
  })
  live(): Promise<HealthCheckResult> {
    return this.health.check([]);
  }
}
