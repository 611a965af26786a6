import {
  Body,
  Controller,
  Get,
  HttpCode,
  Param,
  Post,
  Query,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { MAX_ID, ParseIdPipe } from '../common/parse-id.pipe';
import {
  ApiErrorResponses,
  MONEY_CHANGE_ERRORS,
} from '../docs/api-error-responses.decorator';
import {
  ApiIdempotencyKey,
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

const USER_ID = ApiParam({
  name: 'id',
  schema: { type: 'integer', minimum: 1, maximum: MAX_ID, example: 1 },
});

@ApiTags('users')
@ApiBearerAuth()
@ApiErrorResponses('UNAUTHORIZED', 'SERVICE_UNAVAILABLE', 'INTERNAL_ERROR')
@Controller('users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Post()
  @ApiOperation({
    summary: 'Create a user; the opening balance is its first ledger entry',
  })
  @ApiIdempotencyKey()
  @ApiCreatedResponse({ type: UserResponse })
  @ApiErrorResponses(
    'VALIDATION_FAILED',
    'PAYLOAD_TOO_LARGE',
    'UNSUPPORTED_MEDIA_TYPE',
    'IDEMPOTENCY_KEY_IN_USE',
    'IDEMPOTENCY_KEY_REUSED',
  )
  create(
    @Body() { balance }: CreateUserDto,
    @IdempotencyKeyHeader() idempotencyKey?: IdempotencyKey,
  ): Promise<UserResponse | Replayed<UserResponse>> {
    return this.users.create(balance, idempotencyKey);
  }

  @Get(':id')
  @ApiOperation({ summary: 'A user and its balance' })
  @USER_ID
  @ApiOkResponse({ type: UserResponse })
  @ApiErrorResponses('VALIDATION_FAILED', 'USER_NOT_FOUND')
  findOne(@Param('id', ParseIdPipe) id: number): Promise<UserResponse> {
    return this.users.findOne(id);
  }

  @Post(':id/balance')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Credit (amount > 0) or debit (amount < 0) a balance',
  })
  @USER_ID
  @ApiIdempotencyKey()
  @ApiOkResponse({ type: BalanceResponse })
  @ApiErrorResponses(...MONEY_CHANGE_ERRORS)
  changeBalance(
    @Param('id', ParseIdPipe) id: number,
    @Body() { amount }: ChangeBalanceDto,
    @IdempotencyKeyHeader() idempotencyKey?: IdempotencyKey,
  ): Promise<BalanceResponse | Replayed<BalanceResponse>> {
    return this.users.changeBalance(id, amount, idempotencyKey);
  }

  @Get(':id/transactions')
  @ApiOperation({
    summary: "A page of the user's ledger, newest first (keyset cursor)",
  })
  @USER_ID
  @ApiOkResponse({ type: TransactionPage })
  @ApiErrorResponses('VALIDATION_FAILED', 'USER_NOT_FOUND')
  history(
    @Param('id', ParseIdPipe) id: number,
    @Query() { limit, cursor }: ListTransactionsQuery,
  ): Promise<TransactionPage> {
    return this.users.history(id, limit, cursor);
  }
}
