import { HttpStatus, Injectable } from '@nestjs/common';
import type { Transaction } from 'sequelize';
import { Sequelize } from 'sequelize-typescript';
import type { Annotation } from '../common/annotation.dto';
import { domainError, ValidationFailedError } from '../common/domain.error';
import { inTransaction, SqlFunction } from '../database/sql-function';
import type { Caller } from '../security/caller.decorator';
import { EventsListener } from '../events/events-listener';
import {
  AlreadyReversedError,
  BalanceLimitExceededError,
  InsufficientFundsError,
  NotReversibleError,
  UserNotFoundError,
} from '../users/users.repository';
import type { TransferAttributes } from './transfer.model';

/** A transfer just made, with both users' balances right after it. */
export interface TransferMade extends TransferAttributes {
  fromBalance: number;
  toBalance: number;
}

const TRANSFER = new SqlFunction<
  { fromUserId: number; toUserId: number; amount: number } & Annotation &
    Caller,
  | {
      outcome: 'applied';
      transfer_id: number;
      from_balance: number;
      to_balance: number;
      created_at: Date;
    }
  | { outcome: 'user_not_found'; missing_user_id: number }
  | { outcome: 'insufficient_funds'; from_balance: number; from_held: number }
  | { outcome: 'balance_limit_exceeded' }
>('ledger_transfer', {
  fromUserId: 'p_from_user_id',
  toUserId: 'p_to_user_id',
  amount: 'p_amount',
  reference: 'p_reference',
  description: 'p_description',
  actor: 'p_actor',
  requestId: 'p_request_id',
});

const REVERSE_TRANSFER = new SqlFunction<
  { transferId: number } & Annotation & Caller,
  | {
      outcome: 'applied';
      from_user_id: number;
      to_user_id: number;
      amount: number;
      transfer_id: number;
      from_balance: number;
      to_balance: number;
      created_at: Date;
    }
  | { outcome: 'transfer_not_found' | 'not_reversible' }
  | { outcome: 'already_reversed'; reversal_id: number }
  | {
      outcome: 'insufficient_funds';
      from_user_id: number;
      amount: number;
      from_balance: number;
      from_held: number;
    }
  | { outcome: 'balance_limit_exceeded'; to_user_id: number }
>('ledger_reverse_transfer', {
  transferId: 'p_transfer_id',
  reference: 'p_reference',
  description: 'p_description',
  actor: 'p_actor',
  requestId: 'p_request_id',
});

/**
 * Transfers: one call of `ledger_transfer` (db/functions) in a managed Sequelize transaction,
 * which locks both users' rows with `SELECT … FOR UPDATE` in ascending id order (so transfers in
 * opposite directions wait for each other and never deadlock), checks the source's available
 * balance, and writes the transfer, both balances and both balance transactions, all or nothing.
 */
@Injectable()
export class TransfersRepository {
  constructor(
    private readonly sequelize: Sequelize,
    private readonly events: EventsListener,
  ) {}

  /** Moves `amount` (> 0, from what the source has available) to another user. */
  async create(
    fromUserId: number,
    toUserId: number,
    amount: number,
    annotation: Annotation,
    caller: Caller,
    transaction?: Transaction,
  ): Promise<TransferMade> {
    if (fromUserId === toUserId) {
      throw new ValidationFailedError('A transfer needs two different users');
    }
    const row = await inTransaction(this.sequelize, transaction, async (t) =>
      this.events.wakeIfApplied(
        t,
        await TRANSFER.call(t, {
          fromUserId,
          toUserId,
          amount,
          ...annotation,
          ...caller,
        }),
      ),
    );
    switch (row.outcome) {
      case 'applied':
        return {
          id: row.transfer_id,
          fromUserId,
          toUserId,
          amount,
          fromBalance: row.from_balance,
          toBalance: row.to_balance,
          createdAt: row.created_at,
          reversalOf: null,
          ...annotation,
          ...caller,
        };
      case 'user_not_found':
        throw new UserNotFoundError(row.missing_user_id);
      case 'insufficient_funds':
        throw new InsufficientFundsError(
          fromUserId,
          row.from_balance,
          row.from_held,
          amount,
        );
      case 'balance_limit_exceeded':
        throw new BalanceLimitExceededError(toUserId);
    }
  }

  /**
   * Reverses a transfer as a whole, once: the same amount back from its target (from what the
   * target has available) to its source, all or nothing.
   */
  async reverse(
    transferId: number,
    annotation: Annotation,
    caller: Caller,
    transaction?: Transaction,
  ): Promise<TransferMade> {
    const row = await inTransaction(this.sequelize, transaction, async (t) =>
      this.events.wakeIfApplied(
        t,
        await REVERSE_TRANSFER.call(t, {
          transferId,
          ...annotation,
          ...caller,
        }),
      ),
    );
    switch (row.outcome) {
      case 'applied':
        return {
          id: row.transfer_id,
          fromUserId: row.from_user_id,
          toUserId: row.to_user_id,
          amount: row.amount,
          fromBalance: row.from_balance,
          toBalance: row.to_balance,
          createdAt: row.created_at,
          reversalOf: transferId,
          ...annotation,
          ...caller,
        };
      case 'transfer_not_found':
        throw new TransferNotFoundError(transferId);
      case 'not_reversible':
        throw new NotReversibleError(
          `Transfer ${transferId} is itself a reversal, which is not reversed`,
        );
      case 'already_reversed':
        throw new AlreadyReversedError(
          `Transfer ${transferId}`,
          row.reversal_id,
        );
      case 'insufficient_funds':
        throw new InsufficientFundsError(
          row.from_user_id,
          row.from_balance,
          row.from_held,
          row.amount,
        );
      case 'balance_limit_exceeded':
        throw new BalanceLimitExceededError(row.to_user_id);
    }
  }
}

// The refusals of transfers, thrown above.

export class TransferNotFoundError extends domainError({
  code: 'TRANSFER_NOT_FOUND',
  status: HttpStatus.NOT_FOUND,
  outcome: 'not_found',
  example: { message: 'Transfer 3 does not exist' },
}) {
  constructor(transferId: number) {
    super(`Transfer ${transferId} does not exist`);
  }
}

/** What `POST /transfers/:id/reverse` may be refused with. */
export const REVERSE_TRANSFER_REFUSALS = [
  TransferNotFoundError,
  AlreadyReversedError,
  NotReversibleError,
  InsufficientFundsError,
  BalanceLimitExceededError,
];
