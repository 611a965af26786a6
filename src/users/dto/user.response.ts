import { User } from '../user.model';

export class UserResponse {
  id!: number;
  balance!: number;
  version!: number;

  static of(user: User): UserResponse {
    return { id: user.id, balance: user.balance, version: user.version };
  }
}

export class BalanceResponse {
  userId!: number;
  balance!: number;
  version!: number;
}
