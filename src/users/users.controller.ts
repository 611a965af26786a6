import {
  Body,
  Controller,
  Get,
  HttpCode,
  Param,
  Post,
  Query,
} from '@nestjs/common';
import { ParseIdPipe } from '../common/parse-id.pipe';
import {
  type IdempotencyKey,
  IdempotencyKeyHeader,
} from '../idempotency/idempotency-key.decorator';
import { Replayed } from '../idempotency/replayed';
import { ChangeBalanceDto } from './dto/change-balance.dto';
import { CreateUserDto } from './dto/create-user.dto';
import { ListTransactionsQuery } from './dto/list-transactions.query';
import { TransactionPage } from './dto/transaction.response';
import { BalanceResponse, UserResponse } from './dto/user.response';
import { UsersService } from './users.service';

@Controller('users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Post()
  create(
    @Body() { balance }: CreateUserDto,
    @IdempotencyKeyHeader() idempotencyKey?: IdempotencyKey,
  ): Promise<UserResponse | Replayed<UserResponse>> {
    return this.users.create(balance, idempotencyKey);
  }

  @Get(':id')
  findOne(@Param('id', ParseIdPipe) id: number): Promise<UserResponse> {
    return this.users.findOne(id);
  }

  @Post(':id/balance')
  @HttpCode(200)
  changeBalance(
    @Param('id', ParseIdPipe) id: number,
    @Body() { amount }: ChangeBalanceDto,
    @IdempotencyKeyHeader() idempotencyKey?: IdempotencyKey,
  ): Promise<BalanceResponse | Replayed<BalanceResponse>> {
    return this.users.changeBalance(id, amount, idempotencyKey);
  }

  @Get(':id/transactions')
  history(
    @Param('id', ParseIdPipe) id: number,
    @Query() { limit, cursor }: ListTransactionsQuery,
  ): Promise<TransactionPage> {
    return this.users.history(id, limit, cursor);
  }
}
