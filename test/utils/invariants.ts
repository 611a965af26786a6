import type { TestDatabase } from './test-database';

/**
 * The ledger's promises, checked in the database: no balance is negative; for every user the
 * balance is the sum of its entries, each entry's balance_after is the running sum in id
 * order, and the version counts the entries. Resolves with the users' balances by id.
 */
export async function expectLedgerConsistent(
  database: TestDatabase,
): Promise<Map<number, number>> {
  const users = await database.query<{
    id: number;
    balance: number;
    version: number;
    ledger_sum: number | null;
    entries: number;
  }>(
    `SELECT u.id, u.balance, u.version, l.ledger_sum, coalesce(l.entries, 0)::int AS entries
     FROM users u
     LEFT JOIN (
       SELECT user_id, sum(amount)::bigint AS ledger_sum, count(*) AS entries
       FROM balance_transactions GROUP BY user_id
     ) l ON l.user_id = u.id
     ORDER BY u.id`,
  );
  for (const user of users) {
    expect(user.balance).toBeGreaterThanOrEqual(0);
    expect({
      id: user.id,
      balance: user.ledger_sum,
      version: user.entries,
    }).toEqual({
      id: user.id,
      balance: user.balance,
      version: user.version,
    });
  }
  const brokenRunningSums = await database.query(
    `SELECT id FROM (
       SELECT id, balance_after,
              sum(amount) OVER (PARTITION BY user_id ORDER BY id) AS running
       FROM balance_transactions
     ) entries
     WHERE balance_after <> running`,
  );
  expect(brokenRunningSums).toEqual([]);
  return new Map(users.map((user) => [user.id, user.balance]));
}
