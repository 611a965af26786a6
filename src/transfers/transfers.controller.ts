import { Body, Controller, Post } from '@nestjs/common';
import {
  type IdempotencyKey,
  IdempotencyKeyHeader,
} from '../idempotency/idempotency-key.decorator';
import { Replayed } from '../idempotency/replayed';
import { CreateTransferDto } from './dto/create-transfer.dto';
import { TransferResponse } from './dto/transfer.response';
import { TransfersService } from './transfers.service';

@Controller('transfers')
export class TransfersController {
  constructor(private readonly transfers: TransfersService) {}

  @Post()
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
