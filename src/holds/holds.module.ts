import { Module } from '@nestjs/common';
import { IdempotencyModule } from '../idempotency/idempotency.module';
import { LedgerModule } from '../ledger/ledger.module';
import { HoldsController } from './holds.controller';

@Module({
  imports: [LedgerModule, IdempotencyModule],
  controllers: [HoldsController],
})
export class HoldsModule {}
