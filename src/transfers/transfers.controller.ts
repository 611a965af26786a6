import { Body, Controller, Post } from '@nestjs/common';
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
import {
  IdempotencyService,
  type IdempotentRequest,
} from '../idempotency/idempotency.service';
import { LEDGER_REFUSALS } from '../ledger/ledger.errors';
import { LedgerService } from '../ledger/ledger.service';
import { CreateTransferDto } from './dto/create-transfer.dto';
import { TransferResponse } from './dto/transfer.response';

@ApiTags('transfers')
@ApiBearerAuth()
@ApiCommonErrorResponses()
@Controller('transfers')
export class TransfersController {
  constructor(
    private readonly ledger: LedgerService,
    private readonly keys: IdempotencyService,
  ) {}

  @Post()
  @ApiOperation({
    summary:
      'Move money between two users, all or nothing, from what the source has available',
  })
  @Idempotent()
  @ApiCreatedResponse({ type: TransferResponse })
  @ApiErrorResponses(...BODY_REFUSALS, ...LEDGER_REFUSALS)
  async create(
    @Body() body: CreateTransferDto,
    @Idempotency() idempotency: IdempotentRequest,
  ): Promise<TransferResponse> {
    return this.keys.once(idempotency, async (transaction) =>
      TransferResponse.of(
        await this.ledger.transfer(
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
