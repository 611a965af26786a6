import { ApiProperty } from '@nestjs/swagger';
import { AnnotatedResponse } from '../../common/annotation.dto';
import {
  type Account,
  available,
  type BalanceChange,
  type OpenedAccount,
} from '../../ledger/ledger.results';

export class UserResponse {
  @ApiProperty({ type: 'integer', example: 1 })
  id!: number;

  @ApiProperty({ type: 'integer', minimum: 0, example: 10_000 })
  balance!: number;

  @ApiProperty({
    type: 'integer',
    minimum: 0,
    example: 9_800,
    description:
      'What a debit, a transfer or a new hold may take: the balance less `held`',
  })
  available!: number;

  @ApiProperty({
    type: 'integer',
    minimum: 0,
    example: 200,
    description: 'What the active holds set aside',
  })
  held!: number;

  @ApiProperty({
    type: 'integer',
    example: 7,
    description: 'Grows by one with every change of the balance',
  })
  version!: number;

  static of(account: Account): UserResponse {
    return {
      id: account.userId,
      balance: account.balance,
      available: account.available,
      held: account.held,
      version: account.version,
    };
  }

  /** A new user has no holds. */
  static opened(account: OpenedAccount): UserResponse {
    return {
      id: account.userId,
      balance: account.balance,
      available: available(account.balance, 0),
      held: 0,
      version: account.version,
    };
  }
}

export class BalanceResponse extends AnnotatedResponse {
  @ApiProperty({ type: 'integer', example: 1 })
  userId!: number;

  @ApiProperty({ type: 'integer', minimum: 0, example: 9_998 })
  balance!: number;

  @ApiProperty({ type: 'integer', example: 2 })
  version!: number;

  @ApiProperty({
    type: 'integer',
    example: 2,
    description: 'The balance transaction that records this change',
  })
  transactionId!: number;

  static of(change: BalanceChange): BalanceResponse {
    return {
      userId: change.userId,
      balance: change.balance,
      version: change.version,
      transactionId: change.transactionId,
      ...AnnotatedResponse.fields(change),
    };
  }
}
