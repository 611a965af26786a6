import { Module } from '@nestjs/common';
import { IdempotencyService } from './idempotency.service';

/** `@Idempotent()` routes: a module with such a controller imports this one. */
@Module({
  providers: [IdempotencyService],
  exports: [IdempotencyService],
})
export class IdempotencyModule {}
