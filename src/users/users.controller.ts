import {
  Body,
  Controller,
  Get,
  HttpStatus,
  Param,
  Post,
  Query,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { AnnotatedDto, annotationOf } from '../common/annotation.dto';
import { ValidationFailedError } from '../common/domain.error';
import { MAX_ID, ParseBigIdPipe, ParseIdPipe } from '../common/parse-id.pipe';
import { ApiErrorResponses } from '../docs/api-error-responses.decorator';
import { ApiIdParam } from '../docs/id-params';
import {
  ApiCommonErrorResponses,
  BODY_REFUSALS,
} from '../docs/common-responses';
import { Idempotency, Idempotent } from '../idempotency/idempotent.decorator';
import { type Caller, RequestCaller } from '../security/caller.decorator';
import { BALANCE_CHANGE, NOT_COUNTED } from '../metrics/money-counter';
import {
  IdempotencyService,
  type IdempotentRequest,
} from '../idempotency/idempotency.service';
import {
  BalanceTransactionPage,
  BalanceTransactionResponse,
} from './balance-transaction.model';
import { ChangeBalanceDto } from './dto/change-balance.dto';
import { CreateUserDto } from './dto/create-user.dto';
import { BalanceAtQuery } from './dto/balance-at.query';
import { ListTransactionsQuery } from './dto/list-transactions.query';
import {
  BalanceAtResponse,
  BalanceResponse,
  UserResponse,
} from './dto/user.response';
import {
  BALANCE_CHANGE_REFUSALS,
  REVERSE_TRANSACTION_REFUSALS,
  TransactionNotFoundError,
  UserNotFoundError,
  UsersRepository,
} from './users.repository';

/**
 * Users, their balances and their balance transactions: `/users/…` and `/transactions/…` in
 * the module's one controller, as HoldsController serves `/users/:id/holds` and `/holds/…`.
 */
@ApiBearerAuth()
@ApiCommonErrorResponses()
@Controller()
export class UsersController {
  constructor(
    private readonly users: UsersRepository,
    private readonly keys: IdempotencyService,
  ) {}

  @Post('users')
  @ApiTags('users')
  @ApiOperation({
    summary:
      'Create a user; the opening balance is its first balance transaction',
  })
  @Idempotent(HttpStatus.CREATED, NOT_COUNTED)
  @ApiCreatedResponse({ type: UserResponse })
  @ApiErrorResponses(...BODY_REFUSALS)
  async create(
    @Body() { balance }: CreateUserDto,
    @Idempotency() idempotency: IdempotentRequest,
    @RequestCaller() caller: Caller,
  ): Promise<UserResponse> {
    return this.keys.once(idempotency, async (transaction) =>
      UserResponse.of(await this.users.create(balance, caller, transaction)),
    );
  }

  @Get('users/:id')
  @ApiTags('users')
  @ApiOperation({
    summary: 'A user, its balance, and what of it is available and held',
  })
  @ApiIdParam(1, MAX_ID)
  @ApiOkResponse({ type: UserResponse })
  @ApiErrorResponses(ValidationFailedError, UserNotFoundError)
  async findOne(@Param('id', ParseIdPipe) id: number): Promise<UserResponse> {
    return UserResponse.of(await this.users.findOne(id));
  }

  @Post('users/:id/balance')
  @ApiTags('users')
  @ApiOperation({
    summary: 'Credit (amount > 0) or debit (amount < 0) a balance',
  })
  @ApiIdParam(1, MAX_ID)
  @Idempotent(HttpStatus.OK, BALANCE_CHANGE)
  @ApiOkResponse({ type: BalanceResponse })
  @ApiErrorResponses(...BODY_REFUSALS, ...BALANCE_CHANGE_REFUSALS)
  async changeBalance(
    @Param('id', ParseIdPipe) id: number,
    @Body() body: ChangeBalanceDto,
    @Idempotency() idempotency: IdempotentRequest,
    @RequestCaller() caller: Caller,
  ): Promise<BalanceResponse> {
    return this.keys.once(idempotency, async (transaction) =>
      BalanceResponse.of(
        await this.users.changeBalance(
          id,
          body.amount,
          annotationOf(body),
          caller,
          transaction,
        ),
      ),
    );
  }

  @Get('users/:id/balance')
  @ApiTags('users')
  @ApiOperation({
    summary:
      'The balance and version right after the last balance transaction at or before `at`',
  })
  @ApiIdParam(1, MAX_ID)
  @ApiOkResponse({ type: BalanceAtResponse })
  @ApiErrorResponses(ValidationFailedError, UserNotFoundError)
  async balanceAt(
    @Param('id', ParseIdPipe) id: number,
    @Query() { at }: BalanceAtQuery,
  ): Promise<BalanceAtResponse> {
    return BalanceAtResponse.of(await this.users.balanceAt(id, at));
  }

  @Get('users/:id/transactions')
  @ApiTags('users')
  @ApiOperation({
    summary:
      "A page of the user's balance transactions, newest first (keyset cursor); only those with `reference`, and made by `actor`, if given",
  })
  @ApiIdParam(1, MAX_ID)
  @ApiOkResponse({ type: BalanceTransactionPage })
  @ApiErrorResponses(ValidationFailedError, UserNotFoundError)
  async balanceTransactions(
    @Param('id', ParseIdPipe) id: number,
    @Query() query: ListTransactionsQuery,
  ): Promise<BalanceTransactionPage> {
    const page = await this.users.balanceTransactions(id, query);
    return {
      items: page.items.map((entry) => BalanceTransactionResponse.of(entry)),
      nextCursor: page.nextCursor,
    };
  }

  @Get('transactions/:id')
  @ApiTags('transactions')
  @ApiOperation({ summary: 'A balance transaction' })
  @ApiIdParam(2)
  @ApiOkResponse({ type: BalanceTransactionResponse })
  @ApiErrorResponses(ValidationFailedError, TransactionNotFoundError)
  async findTransaction(
    @Param('id', ParseBigIdPipe) id: number,
  ): Promise<BalanceTransactionResponse> {
    return BalanceTransactionResponse.of(await this.users.findTransaction(id));
  }

  @Post('transactions/:id/reverse')
  @ApiTags('transactions')
  @ApiOperation({
    summary:
      'Reverse a credit, a debit or a capture, once: a `reversal` balance transaction of the opposite amount',
  })
  @ApiIdParam(2)
  @Idempotent(HttpStatus.CREATED, BALANCE_CHANGE)
  @ApiCreatedResponse({ type: BalanceTransactionResponse })
  @ApiErrorResponses(...BODY_REFUSALS, ...REVERSE_TRANSACTION_REFUSALS)
  async reverseTransaction(
    @Param('id', ParseBigIdPipe) id: number,
    @Body() body: AnnotatedDto,
    @Idempotency() idempotency: IdempotentRequest,
    @RequestCaller() caller: Caller,
  ): Promise<BalanceTransactionResponse> {
    return this.keys.once(idempotency, async (transaction) =>
      BalanceTransactionResponse.of(
        await this.users.reverseTransaction(
          id,
          annotationOf(body),
          caller,
          transaction,
        ),
      ),
    );
  }
}
