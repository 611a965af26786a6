import { Module } from '@nestjs/common';
import { LedgerService } from './ledger.service';

/** Owns every change of a balance and every balance transaction; users and transfers call it. */
@Module({
  providers: [LedgerService],
  exports: [LedgerService],
})
export class LedgerModule {}
