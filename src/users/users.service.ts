import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/sequelize';
import { ValidationFailedError } from '../common/domain.error';
import { UserNotFoundError } from '../ledger/ledger.errors';
import type { BalanceTransaction } from '../ledger/ledger.results';
import { LedgerService } from '../ledger/ledger.service';
import { User } from './user.model';

/** A page of balance transactions, and the cursor of the next one (null on the last page). */
export interface HistoryPage {
  items: BalanceTransaction[];
  nextCursor: string | null;
}

@Injectable()
export class UsersService {
  constructor(
    @InjectModel(User) private readonly users: typeof User,
    private readonly ledger: LedgerService,
  ) {}

  async findOne(id: number): Promise<User> {
    const user = await this.users.findByPk(id);
    if (!user) {
      throw new UserNotFoundError(id);
    }
    return user;
  }

  /** A page of the user's ledger, newest first, by keyset on the balance transaction id. */
  async history(
    userId: number,
    limit: number,
    cursor?: string,
  ): Promise<HistoryPage> {
    const entries = await this.ledger.history(
      userId,
      limit + 1,
      cursor === undefined ? undefined : decodeCursor(cursor),
    );
    const items = entries.slice(0, limit);
    return {
      items,
      nextCursor:
        entries.length > limit
          ? encodeCursor(items[items.length - 1].id)
          : null,
    };
  }
}

/** Cursors are opaque to clients: the id of the last entry seen, base64url-encoded. */
function encodeCursor(id: number): string {
  return Buffer.from(String(id)).toString('base64url');
}

function decodeCursor(cursor: string): number {
  const id = Buffer.from(cursor, 'base64url').toString();
  if (!/^[1-9][0-9]{0,15}$/.test(id)) {
    throw new ValidationFailedError('cursor is not a cursor this service gave');
  }
  return Number(id);
}
