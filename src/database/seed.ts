import { Sequelize } from 'sequelize';
import { OPEN_FIRST_ACCOUNT } from '../ledger/ledger.sql';
import { MIGRATION_LOCK } from './migrator';

export const SEED_BALANCE = 10_000;

/**
 * Creates user 1 with the seed balance, recorded as its opening balance transaction, on an
 * empty database only, exactly once: the same advisory lock as the migrations makes concurrent
 * starts take turns, and a table that already has users is left alone, so a restart never
 * re-seeds or resets a balance.
 */
export async function seed(sequelize: Sequelize): Promise<void> {
  await sequelize.transaction(async (transaction) => {
    await sequelize.query('SELECT pg_advisory_xact_lock(hashtext($1))', {
      bind: [MIGRATION_LOCK],
      transaction,
    });
    await sequelize.query(OPEN_FIRST_ACCOUNT, {
      bind: [SEED_BALANCE],
      transaction,
    });
  });
}
