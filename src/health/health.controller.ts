import { Controller, Get } from '@nestjs/common';
import {
  HealthCheck,
  HealthCheckResult,
  HealthCheckService,
} from '@nestjs/terminus';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ServiceUnavailableError } from '../common/common.errors';
import { ApiErrorResponses } from '../docs/api-error-responses.decorator';
import { DatabaseProbe } from './database-probe';

const UP: HealthCheckResult = {
  status: 'ok',
  info: { database: { status: 'up' } },
  error: {},
  details: { database: { status: 'up' } },
};

/** The usual 503 body, with the probe's `reason` for the operator. */
class DatabaseNotReadyError extends ServiceUnavailableError {
  constructor(reason: string) {
    super();
    this.details.reason = reason;
  }
}

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: DatabaseProbe,
  ) {}

  /**
   * Readiness: 200 when PostgreSQL answers within a second and takes writes, else 503. Asked on
   * the probe's own connection, so a saturated pool does not make it fail.
   */
  @Get()
  @ApiOperation({
    summary:
      'Readiness: the service and PostgreSQL answer, and it takes writes',
  })
  @ApiOkResponse({ schema: { type: 'object', example: UP } })
  @ApiErrorResponses(ServiceUnavailableError)
  async check(): Promise<HealthCheckResult> {
    const problem = await this.database.check();
    if (problem !== undefined) throw new DatabaseNotReadyError(problem);
    return UP;
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
