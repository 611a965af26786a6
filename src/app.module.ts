import {
  MiddlewareConsumer,
  Module,
  NestApplicationOptions,
  NestModule,
} from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { ErrorsFilter } from './common/errors.filter';
import { parseJsonBody } from './common/json-body.middleware';
import { RequestValidationPipe } from './common/request-validation.pipe';
import { validateEnvironment } from './config/environment';
import { DatabaseModule } from './database/database.module';
import { HealthModule } from './health/health.module';
import { HoldsModule } from './holds/holds.module';
import { LoggingModule } from './logging/logging.module';
import { MetricsModule } from './metrics/metrics.module';
import { SecurityModule } from './security/security.module';
import { TransfersModule } from './transfers/transfers.module';
import { UsersModule } from './users/users.module';

/** How the app must be created, by `main.ts` and by tests alike: it parses bodies itself. */
export const APP_OPTIONS = {
  bodyParser: false,
} satisfies NestApplicationOptions;

@Module({
  imports: [
    ConfigModule.forRoot({
      isGlobal: true,
      cache: true,
      validate: validateEnvironment,
    }),
    LoggingModule,
    DatabaseModule,
    UsersModule,
    TransfersModule,
    HoldsModule,
    HealthModule,
    MetricsModule,
    SecurityModule,
  ],
  providers: [
    { provide: APP_PIPE, useClass: RequestValidationPipe },
    { provide: APP_FILTER, useClass: ErrorsFilter },
  ],
})
export class AppModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(parseJsonBody).forRoutes('*path');
  }
}
