import { Sequelize } from 'sequelize';
import { MIGRATION_LOCK } from './migrator';

export const SEED_BALANCE = 10_000;

/**
 * Creates user 1 with the seed balance, recorded as its opening ledger entry, on an empty
 * database only, exactly once: the same advisory lock as the migrations makes concurrent
 * starts take turns, and a table that already has users is left alone, so a restart never
 * re-seeds or resets a balance.
 */
export async function seed(sequelize: Sequelize): Promise<void> {
  await sequelize.transaction(async (transaction) => {
    await sequelize.query('SELECT pg_advisory_xact_lock(hashtext(:key))', {
      replacements: { key: MIGRATION_LOCK },
      transaction,
    });
    await sequelize.query(
      `WITH seeded AS (
         INSERT INTO users (balance) SELECT :balance WHERE NOT EXISTS (SELECT FROM users)
         RETURNING id, balance
       )
       INSERT INTO balance_transactions (user_id, amount, balance_after, type)
       SELECT id, balance, balance, 'opening' FROM seeded`,
      { replacements: { balance: SEED_BALANCE }, transaction },
    );
  });
}
