import { ApiProperty } from '@nestjs/swagger';
import {
  AnnotatedResponse,
  AttributedResponse,
} from '../../common/annotation.dto';
import type {
  BalanceAt,
  BalanceChange,
  UserBalance,
} from '../users.repository';

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

export class BalanceResponse extends AttributedResponse {
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
      ...AttributedResponse.attribution(change),
    };
  }
}

export class BalanceAtResponse {
  @ApiProperty({ type: 'integer', example: 1 })
  userId!: number;

  @ApiProperty({
    format: 'date-time',
    example: '2026-12-01T12:00:00Z',
    description: 'As asked',
  })
  at!: string;

  @ApiProperty({
    type: 'integer',
    minimum: 0,
    example: 9_998,
    description:
      "The balance right after the user's last balance transaction at or before `at`; 0 before its opening entry",
  })
  balance!: number;

  @ApiProperty({
    type: 'integer',
    minimum: 0,
    example: 2,
    description: "The user's version then; 0 before its opening entry",
  })
  version!: number;

  @ApiProperty({
    type: 'integer',
    nullable: true,
    example: 2,
    description: 'That balance transaction; null before the opening entry',
  })
  transactionId!: number | null;

  static of(state: BalanceAt): BalanceAtResponse {
    return {
      userId: state.userId,
      at: state.at,
      balance: state.balance,
      version: state.version,
      transactionId: state.transactionId,
    };
  }
}
