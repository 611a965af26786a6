import { Body, Controller, Get, HttpStatus, Param, Post } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { AnnotatedDto, annotationOf } from '../common/annotation.dto';
import { ValidationFailedError } from '../common/domain.error';
import { ParseBigIdPipe } from '../common/parse-id.pipe';
import { ApiErrorResponses } from '../docs/api-error-responses.decorator';
import { ApiTransactionIdParam } from '../docs/id-params';
import {
  ApiCommonErrorResponses,
  BODY_REFUSALS,
} from '../docs/common-responses';
import { Idempotency, Idempotent } from '../idempotency/idempotent.decorator';
import {
  IdempotencyService,
  type IdempotentRequest,
} from '../idempotency/idempotency.service';
import { BALANCE_CHANGE } from '../metrics/money-counter';
import { type Caller, RequestCaller } from '../security/caller.decorator';
import { BalanceTransactionResponse } from './dto/balance-transaction.response';
import {
  REVERSE_TRANSACTION_REFUSALS,
  TransactionNotFoundError,
} from './users.errors';
import { UsersRepository } from './users.repository';

/** Balance transactions by their id: read one, reverse one. */
@ApiTags('transactions')
@ApiBearerAuth()
@ApiCommonErrorResponses()
@Controller('transactions')
export class TransactionsController {
  constructor(
    private readonly users: UsersRepository,
    private readonly keys: IdempotencyService,
  ) {}

  @Get(':id')
  @ApiOperation({ summary: 'A balance transaction' })
  @ApiTransactionIdParam()
  @ApiOkResponse({ type: BalanceTransactionResponse })
  @ApiErrorResponses(ValidationFailedError, TransactionNotFoundError)
  async findOne(
    @Param('id', ParseBigIdPipe) id: number,
  ): Promise<BalanceTransactionResponse> {
    return BalanceTransactionResponse.of(await this.users.findTransaction(id));
  }

  @Post(':id/reverse')
  @ApiOperation({
    summary:
      'Reverse a credit, a debit or a capture, once: a `reversal` balance transaction of the opposite amount',
  })
  @ApiTransactionIdParam()
  @Idempotent(HttpStatus.CREATED, BALANCE_CHANGE)
  @ApiCreatedResponse({ type: BalanceTransactionResponse })
  @ApiErrorResponses(...BODY_REFUSALS, ...REVERSE_TRANSACTION_REFUSALS)
  async reverse(
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
