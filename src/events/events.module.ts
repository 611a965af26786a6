import { Module } from '@nestjs/common';
import { DatabaseServerModule } from '../database/database-server.module';
import { EventsController } from './events.controller';
import { EventsListener } from './events-listener';
import { EventsRepository } from './events.repository';

/**
 * The change feed (GET /events). Its rows are written by the ledger functions; the money
 * repositories tell its EventsListener when a change commits.
 */
@Module({
  imports: [DatabaseServerModule],
  controllers: [EventsController],
  providers: [EventsListener, EventsRepository],
  exports: [EventsListener],
})
export class EventsModule {}
