import { Module } from '@nestjs/common';
import { IdempotencyModule } from '../idempotency/idempotency.module';
import { LedgerModule } from '../ledger/ledger.module';
import { TransfersController } from './transfers.controller';

@Module({
  imports: [LedgerModule, IdempotencyModule],
  controllers: [TransfersController],
})
export class TransfersModule {}
