import { ApiProperty } from '@nestjs/swagger';
import type { BalanceChange, OpenedAccount } from '../../ledger/ledger.results';

export class UserResponse {
  @ApiProperty({ type: 'integer', example: 1 })
  id!: number;

  @ApiProperty({ type: 'integer', minimum: 0, example: 10_000 })
  balance!: number;

  @ApiProperty({
    type: 'integer',
    example: 7,
    description: 'Grows by one with every change of the balance',
  })
  version!: number;

  static of(user: {
    id: number;
    balance: number;
    version: number;
  }): UserResponse {
    return { id: user.id, balance: user.balance, version: user.version };
  }

  static opened(account: OpenedAccount): UserResponse {
    return {
      id: account.userId,
      balance: account.balance,
      version: account.version,
    };
  }
}

export class BalanceResponse {
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
    };
  }
}
