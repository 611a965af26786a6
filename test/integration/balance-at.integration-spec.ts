import { UserNotFoundError } from '../../src/users/users.repository';
import {
  bootDataLayer,
  lockingSession,
  NO_ANNOTATION,
  TEST_CALLER,
} from './data-layer';

/** The size of ledger the as-of read is shown to be independent of. */
const LEDGER_SIZE = 100_000;

interface PlanNode {
  'Node Type': string;
  'Index Name'?: string;
  'Shared Hit Blocks': number;
  'Shared Read Blocks': number;
  Plans?: PlanNode[];
}

function indexesOf(node: PlanNode): string[] {
  return [
    ...(node['Index Name'] ? [node['Index Name']] : []),
    ...(node.Plans ?? []).flatMap(indexesOf),
  ];
}

function scansOf(node: PlanNode): string[] {
  return [node['Node Type'], ...(node.Plans ?? []).flatMap(scansOf)];
}

describe('UsersRepository.balanceAt (ledger_balance_at) against PostgreSQL', () => {
  const layer = bootDataLayer();

  const createdAt = async (transactionId: number): Promise<string> => {
    const [row] = await layer.database.query<{ at: string }>(
      `SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at
       FROM balance_transactions WHERE id = $1`,
      [transactionId],
    );
    return row.at;
  };

  it('answers the balance and version right after the last entry at or before the moment, and 0 before the opening', async () => {
    const { userId } = await layer.users.create(100, TEST_CALLER);
    const [opening] = await layer.database.query<{ id: number }>(
      'SELECT id FROM balance_transactions WHERE user_id = $1',
      [userId],
    );
    const credit = await layer.users.changeBalance(
      userId,
      50,
      NO_ANNOTATION,
      TEST_CALLER,
    );
    const debit = await layer.users.changeBalance(
      userId,
      -30,
      NO_ANNOTATION,
      TEST_CALLER,
    );
    const openedAt = await createdAt(opening.id);
    expect(await layer.users.balanceAt(userId, '2000-01-01T00:00:00Z')).toEqual(
      {
        userId,
        at: '2000-01-01T00:00:00Z',
        balance: 0,
        version: 0,
        transactionId: null,
      },
    );
    expect(await layer.users.balanceAt(userId, openedAt)).toMatchObject({
      balance: 100,
      version: 1,
      transactionId: opening.id,
    });
    expect(
      await layer.users.balanceAt(
        userId,
        await createdAt(credit.transactionId),
      ),
    ).toMatchObject({
      balance: 150,
      version: 2,
      transactionId: credit.transactionId,
    });
    expect(
      await layer.users.balanceAt(userId, '2999-01-01T00:00:00+14:00'),
    ).toMatchObject({
      balance: 120,
      version: 3,
      transactionId: debit.transactionId,
    });
    await expect(
      layer.users.balanceAt(2_000_000_000, '2026-01-01T00:00:00Z'),
    ).rejects.toBeInstanceOf(UserNotFoundError);
  });

  it("records a time that never goes backwards in the user's ledger, even for a change whose transaction began before the one it queued behind", async () => {
    const { userId } = await layer.users.create(100, TEST_CALLER);
    const session = await lockingSession(layer.database.url);
    try {
      // The change's transaction begins first (as an idempotency key's does, before it reaches
      // the user's row), then another transaction, begun later, changes the user and commits.
      await layer.sequelize.transaction(async (transaction) => {
        await layer.sequelize.query('SELECT 1', { transaction });
        await session.client.query('SELECT pg_sleep(0.01)');
        await session.client.query(
          'SELECT outcome FROM ledger_change_balance($1, 7)',
          [userId],
        );
        await layer.users.changeBalance(
          userId,
          -5,
          NO_ANNOTATION,
          TEST_CALLER,
          transaction,
        );
      });
    } finally {
      await session.end();
    }
    const entries = await layer.database.query<{
      amount: number;
      later_than_previous: boolean | null;
    }>(
      `SELECT amount, created_at >= lag(created_at) OVER (ORDER BY id) AS later_than_previous
       FROM balance_transactions WHERE user_id = $1 ORDER BY id`,
      [userId],
    );
    expect(entries).toEqual([
      { amount: 100, later_than_previous: null },
      { amount: 7, later_than_previous: true },
      { amount: -5, later_than_previous: true },
    ]);
  });

  describe(`over a user with ${LEDGER_SIZE} balance transactions`, () => {
    let userId: number;
    /** The moment of the ledger's middle entry. */
    let middle: string;

    beforeAll(async () => {
      ({ userId } = await layer.users.create(0, TEST_CALLER));
      // Credits of 1 with their running balance and version, one millisecond apart after the
      // opening: what as many changes would have appended (the trigger forbids only UPDATE and
      // DELETE).
      await layer.database.query(
        `INSERT INTO balance_transactions
           (user_id, amount, balance_after, version, type, created_at, actor)
         SELECT $1, 1, g, g + 1, 'credit', o.created_at + g * interval '1 millisecond', 'bulk'
         FROM generate_series(1, $2::int) g,
              (SELECT created_at FROM balance_transactions WHERE user_id = $1) o`,
        [userId, LEDGER_SIZE],
      );
      await layer.database.query(
        'UPDATE users SET balance = $2::bigint, version = $2::bigint + 1 WHERE id = $1',
        [userId, LEDGER_SIZE],
      );
      await layer.database.query('ANALYZE balance_transactions');
      const [row] = await layer.database.query<{ at: string }>(
        `SELECT to_char((created_at + $2 * interval '1 millisecond') AT TIME ZONE 'UTC',
                        'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS at
         FROM balance_transactions WHERE user_id = $1 AND type = 'opening'`,
        [userId, LEDGER_SIZE / 2],
      );
      middle = row.at;
    }, 120_000);

    it('answers the state after the entry at that moment', async () => {
      expect(await layer.users.balanceAt(userId, middle)).toMatchObject({
        balance: LEDGER_SIZE / 2,
        version: LEDGER_SIZE / 2 + 1,
      });
    });

    it('reads one index range: a handful of buffers, not a scan of the ledger', async () => {
      for (const at of [middle, '2999-01-01T00:00:00Z']) {
        const [{ 'QUERY PLAN': plans }] = await layer.database.query<{
          'QUERY PLAN': { Plan: PlanNode }[];
        }>(
          'EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) SELECT * FROM ledger_balance_at($1, $2)',
          [userId, at],
        );
        const plan = plans[0].Plan;
        const buffers = plan['Shared Hit Blocks'] + plan['Shared Read Blocks'];
        process.stdout.write(
          `EXPLAIN ledger_balance_at at ${at} over ${LEDGER_SIZE} entries: ${buffers} buffers\n`,
        );
        expect(indexesOf(plan)).toContain(
          'balance_transactions_user_id_created_at_id',
        );
        expect(scansOf(plan)).not.toContain('Seq Scan');
        expect(buffers).toBeLessThanOrEqual(10);
      }
    });

    it('answers within milliseconds through the repository', async () => {
      const latencies: number[] = [];
      for (let i = 0; i < 500; i++) {
        const started = performance.now();
        await layer.users.balanceAt(userId, middle);
        latencies.push(performance.now() - started);
      }
      latencies.sort((a, b) => a - b);
      const median = latencies[latencies.length / 2];
      const p99 = latencies[Math.floor(latencies.length * 0.99)];
      process.stdout.write(
        `balanceAt over ${LEDGER_SIZE} entries, 500 calls: median ${median.toFixed(3)} ms, p99 ${p99.toFixed(3)} ms\n`,
      );
      expect(median).toBeLessThan(20);
    });
  });
});
