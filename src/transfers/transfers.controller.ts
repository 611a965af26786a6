import { Body, Controller, Post } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
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
import { CreateTransferDto } from './dto/create-transfer.dto';
import { TransferResponse } from './dto/transfer.response';
import { TransfersService } from './transfers.service';

@ApiTags('transfers')
@ApiBearerAuth()
@ApiErrorResponses('UNAUTHORIZED', 'SERVICE_UNAVAILABLE', 'INTERNAL_ERROR')
@Controller('transfers')
export class TransfersController {
  constructor(private readonly transfers: TransfersService) {}

  @Post()
  @ApiOperation({ summary: 'Move money between two users, all or nothing' })
  @ApiIdempotencyKey()
  @ApiCreatedResponse({ type: TransferResponse })
  @ApiErrorResponses(...MONEY_CHANGE_ERRORS)
  create(
    @Body() { fromUserId, toUserId, amount }: CreateTransferDto,
    @IdempotencyKeyHeader() idempotencyKey?: IdempotencyKey,
  ): Promise<TransferResponse | Replayed<TransferResponse>> {
    return this.transfers.transfer(
      fromUserId,
      toUserId,
      amount,
      idempotencyKey,
    );
  }
}
