import { Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { IdempotencyService } from './idempotency.service';
import { ReplayInterceptor } from './replay.interceptor';

@Module({
  providers: [
    IdempotencyService,
    { provide: APP_INTERCEPTOR, useClass: ReplayInterceptor },
  ],
  exports: [IdempotencyService],
})
export class IdempotencyModule {}
