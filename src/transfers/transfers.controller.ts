import { Body, Controller, HttpStatus, Param, Post } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { AnnotatedDto, annotationOf } from '../common/annotation.dto';
import { ParseBigIdPipe } from '../common/parse-id.pipe';
import { ApiErrorResponses } from '../docs/api-error-responses.decorator';
import { ApiIdParam } from '../docs/id-params';
import {
  ApiCommonErrorResponses,
  BODY_REFUSALS,
} from '../docs/common-responses';
import { Idempotency, Idempotent } from '../idempotency/idempotent.decorator';
import { BALANCE_CHANGE } from '../metrics/money-counter';
import {
  IdempotencyService,
  type IdempotentRequest,
} from '../idempotency/idempotency.service';
import { type Caller, RequestCaller } from '../security/caller.decorator';
import { BALANCE_CHANGE_REFUSALS } from '../users/users.repository';
import { CreateTransferDto } from './dto/create-transfer.dto';
import { TransferResponse } from './dto/transfer.response';
import {
  REVERSE_TRANSFER_REFUSALS,
  TransfersRepository,
} from './transfers.repository';

@ApiTags('transfers')
@ApiBearerAuth()
@ApiCommonErrorResponses()
@Controller('transfers')
export class TransfersController {
  constructor(
    private readonly transfers: TransfersRepository,
    private readonly keys: IdempotencyService,
  ) {}

  @Post()
  @ApiOperation({
    summary:
      'Move money between two users, all or nothing, from what the source has available',
  })
  @Idempotent(HttpStatus.CREATED, BALANCE_CHANGE)
  @ApiCreatedResponse({ type: TransferResponse })
  @ApiErrorResponses(...BODY_REFUSALS, ...BALANCE_CHANGE_REFUSALS)
  async create(
    @Body() body: CreateTransferDto,
    @Idempotency() idempotency: IdempotentRequest,
    @RequestCaller() caller: Caller,
  ): Promise<TransferResponse> {
    return this.keys.once(idempotency, async (transaction) =>
      TransferResponse.of(
        await this.transfers.create(
          body.fromUserId,
          body.toUserId,
          body.amount,
          annotationOf(body),
          caller,
          transaction,
        ),
      ),
    );
  }

  @Post(':id/reverse')
  @ApiOperation({
    summary:
      'Reverse a transfer as a whole, once: the same amount back, from what its target has available',
  })
  @ApiIdParam(3)
  @Idempotent(HttpStatus.CREATED, BALANCE_CHANGE)
  @ApiCreatedResponse({ type: TransferResponse })
  @ApiErrorResponses(...BODY_REFUSALS, ...REVERSE_TRANSFER_REFUSALS)
  async reverse(
    @Param('id', ParseBigIdPipe) id: number,
    @Body() body: AnnotatedDto,
    @Idempotency() idempotency: IdempotentRequest,
    @RequestCaller() caller: Caller,
  ): Promise<TransferResponse> {
    return this.keys.once(idempotency, async (transaction) =>
      TransferResponse.of(
        await this.transfers.reverse(
          id,
          annotationOf(body),
          caller,
          transaction,
        ),
      ),
    );
  }
}
