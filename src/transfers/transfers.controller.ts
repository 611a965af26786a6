import { Body, Controller, HttpStatus, Post } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { annotationOf } from '../common/annotation.dto';
import { ApiErrorResponses } from '../docs/api-error-responses.decorator';
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
import { BALANCE_CHANGE_REFUSALS } from '../users/users.errors';
import { CreateTransferDto } from './dto/create-transfer.dto';
import { TransferResponse } from './dto/transfer.response';
import { TransfersRepository } from './transfers.repository';

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
  ): Promise<TransferResponse> {
    return this.keys.once(idempotency, async (transaction) =>
      TransferResponse.of(
        await this.transfers.create(
          body.fromUserId,
          body.toUserId,
          body.amount,
          annotationOf(body),
          transaction,
        ),
      ),
    );
  }
}
