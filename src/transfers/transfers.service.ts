import { Injectable } from '@nestjs/common';
import { QueryTypes } from 'sequelize';
import { Sequelize } from 'sequelize-typescript';
import { ValidationFailedError } from '../common/domain.error';
import type { IdempotencyKey } from '../idempotency/idempotency-key.decorator';
import { IdempotencyService } from '../idempotency/idempotency.service';
import { Replayed } from '../idempotency/replayed';
import {
  BalanceLimitExceededError,
  InsufficientFundsError,
  UserNotFoundError,
} from '../users/users.errors';
import { TransferResponse } from './dto/transfer.response';
import {
  LOCK_PAIR_SQL,
  TRANSFER_SQL,
  TransferOutcomeRow,
  TransferRow,
} from './transfers.sql';

@Injectable()
export class TransfersService {
  constructor(
    private readonly sequelize: Sequelize,
    private readonly idempotency: IdempotencyService,
  ) {}

  /** Moves money between two users, all or nothing. */
  async transfer(
    fromUserId: number,
    toUserId: number,
    amount: number,
    idempotencyKey?: IdempotencyKey,
  ): Promise<TransferResponse | Replayed<TransferResponse>> {
    if (fromUserId === toUserId) {
      throw new ValidationFailedError('A transfer needs two different users');
    }
    return this.sequelize.transaction(async (transaction) => {
      const replay = await this.idempotency.claim(
        transaction,
        idempotencyKey,
        (stored: TransferRow) => TransferResponse.of(stored),
      );
      if (replay) {
        return replay;
      }
      const locked = await this.sequelize.query<{ id: number }>(LOCK_PAIR_SQL, {
        bind: [fromUserId, toUserId],
        transaction,
        type: QueryTypes.SELECT,
      });
      const missing = [fromUserId, toUserId].find(
        (id) => !locked.some((user) => user.id === id),
      );
      if (missing !== undefined) {
        throw new UserNotFoundError(missing);
      }
      const [row] = await this.sequelize.query<TransferOutcomeRow>(
        TRANSFER_SQL,
        {
          bind: [fromUserId, toUserId, amount, idempotencyKey?.key ?? null],
          transaction,
          type: QueryTypes.SELECT,
        },
      );
      if (row.id === null || row.id === undefined) {
        throw row.from_balance_before < amount
          ? new InsufficientFundsError(
              fromUserId,
              row.from_balance_before,
              -amount,
            )
          : new BalanceLimitExceededError(toUserId);
      }
      return TransferResponse.of(row as TransferRow);
    });
  }
}
