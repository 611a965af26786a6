import { Module } from '@nestjs/common';
import { IdempotencyModule } from '../idempotency/idempotency.module';
import { LedgerModule } from '../ledger/ledger.module';
import { UsersController } from './users.controller';

@Module({
  imports: [LedgerModule, IdempotencyModule],
  controllers: [UsersController],
})
export class UsersModule {}
