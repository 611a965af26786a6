import { Module } from '@nestjs/common';
import { SequelizeModule } from '@nestjs/sequelize';
import { EventsModule } from '../events/events.module';
import { IdempotencyModule } from '../idempotency/idempotency.module';
import { Transfer } from './transfer.model';
import { TransfersController } from './transfers.controller';
import { TransfersRepository } from './transfers.repository';

/** Money moved between two users, all or nothing. */
@Module({
  imports: [
    SequelizeModule.forFeature([Transfer]),
    IdempotencyModule,
    EventsModule,
  ],
  controllers: [TransfersController],
  providers: [TransfersRepository],
})
export class TransfersModule {}
