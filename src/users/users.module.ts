import { Module } from '@nestjs/common';
import { SequelizeModule } from '@nestjs/sequelize';
import { EventsModule } from '../events/events.module';
import { IdempotencyModule } from '../idempotency/idempotency.module';
import { BalanceTransaction } from './balance-transaction.model';
import { User } from './user.model';
import { UsersController } from './users.controller';
import { UsersRepository } from './users.repository';

/** Users, their balances and their ledger (balance transactions). */
@Module({
  imports: [
    SequelizeModule.forFeature([User, BalanceTransaction]),
    IdempotencyModule,
    EventsModule,
  ],
  controllers: [UsersController],
  providers: [UsersRepository],
  exports: [UsersRepository],
})
export class UsersModule {}
