import { Sequelize } from 'sequelize';
import { MIGRATION_LOCK } from './migrator';

export const SEED_BALANCE = 10_000;

/**
 * Creates user 1 with the seed balance on an empty database, exactly once: the same advisory
 * lock as the migrations makes concurrent starts take turns, and a table that already has
 * users is left alone, so a restart never re-seeds or resets a balance.
 */
export async function seed(sequelize: Sequelize): Promise<void> {
  await sequelize.transaction(async (transaction) => {
    await sequelize.query('SELECT pg_advisory_xact_lock(hashtext(:key))', {
      replacements: { key: MIGRATION_LOCK },
      transaction,
    });
    await sequelize.query(
      `INSERT INTO users (balance)
       SELECT :balance WHERE NOT EXISTS (SELECT 1 FROM users)`,
      { replacements: { balance: SEED_BALANCE }, transaction },
    );
  });
}
