import { Module } from '@nestjs/common';
import { SequelizeModule } from '@nestjs/sequelize';
import { EventsModule } from '../events/events.module';
import { IdempotencyModule } from '../idempotency/idempotency.module';
import { UsersModule } from '../users/users.module';
import { Hold } from './hold.model';
import { HoldsController } from './holds.controller';
import { HoldsRepository } from './holds.repository';

/** Holds: money set aside now, captured or released later. */
@Module({
  imports: [
    SequelizeModule.forFeature([Hold]),
    UsersModule,
    IdempotencyModule,
    EventsModule,
  ],
  controllers: [HoldsController],
  providers: [HoldsRepository],
})
export class HoldsModule {}
