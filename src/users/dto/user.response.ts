import { ApiProperty } from '@nestjs/swagger';
import type { BalanceChangeRow, UserRow } from '../users.sql';

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

  static of(user: UserRow): UserResponse {
    return { id: user.id, balance: user.balance, version: user.version };
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
    description: 'The ledger entry of this change',
  })
  transactionId!: number;

  /** Maps an applied change, fresh or remembered under an idempotency key. */
  static of(row: BalanceChangeRow): BalanceResponse {
    return {
      userId: row.user_id,
      balance: row.balance,
      version: row.version,
      transactionId: row.transaction_id,
    };
  }
}
