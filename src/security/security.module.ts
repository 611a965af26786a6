import { MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import helmet from 'helmet';
import { ApiKeyGuard } from './api-key.guard';

/** API keys on every route but the public ones, and security headers on every response. */
@Module({
  providers: [{ provide: APP_GUARD, useClass: ApiKeyGuard }],
})
export class SecurityModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    // Also removes Express's X-Powered-By.
    consumer.apply(helmet()).forRoutes('*path');
  }
}
