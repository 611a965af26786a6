import type { Sequelize } from 'sequelize-typescript';
import type { Caller } from '../security/caller.decorator';
import { User } from '../users/user.model';
import type { UsersRepository } from '../users/users.repository';
import { MIGRATION_LOCK } from './migrator';

export const SEED_BALANCE = 10_000;

/** The seed is made by the service itself, not by a request. */
const SEED_CALLER: Caller = { actor: 'seed', requestId: null };

/**
 * Creates user 1 with the seed balance through the same path as `POST /users` (its opening
 * balance is its first balance transaction), on an empty database only, exactly once: the
 * migrations' advisory lock makes concurrent starts take turns, and a table that already has
 * users is left alone, so a restart never re-seeds or resets a balance.
 */
export async function seed(
  sequelize: Sequelize,
  users: UsersRepository,
): Promise<void> {
  await sequelize.transaction(async (transaction) => {
    await sequelize.query('SELECT pg_advisory_xact_lock(hashtext($1))', {
      bind: [MIGRATION_LOCK],
      transaction,
    });
    if ((await User.count({ transaction })) === 0) {
      await users.create(SEED_BALANCE, SEED_CALLER, transaction);
    }
  });
}
