import { ApiProperty } from '@nestjs/swagger';
import { AnnotatedResponse } from '../../common/annotation.dto';
import type { BalanceChange, UserBalance } from '../users.repository';

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

  static of(user: UserBalance): UserResponse {
    return {
      id: user.userId,
      balance: user.balance,
      available: user.available,
      held: user.held,
      version: user.version,
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
