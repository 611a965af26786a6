import { Sequelize, type Transaction } from 'sequelize';
import {
  discardConnection,
  poolState,
  queryInTransaction,
} from '../../src/database/sequelize-internals';
import { createTestDatabase, type TestDatabase } from '../utils/test-database';

/**
 * sequelize-internals.ts reads Sequelize's private state; these fail when an upgrade of
 * Sequelize or sequelize-pool moves it.
 */
describe("Sequelize's private state, as sequelize-internals reads it", () => {
  let database: TestDatabase;
  let sequelize: Sequelize;

  beforeAll(async () => {
    database = await createTestDatabase();
    sequelize = new Sequelize(database.url, {
      dialect: 'postgres',
      logging: false,
      pool: { max: 2, min: 0 },
    });
  });
  afterAll(async () => {
    await sequelize?.close();
    await database?.drop();
  });

  const backendPid = (transaction: Transaction) =>
    queryInTransaction<{ pid: number }>(
      transaction,
      'SELECT pg_backend_pid() AS pid',
      [],
    );

  it("runs a statement on a managed transaction's own connection, with bound parameters", async () => {
    const seen = await sequelize.transaction(async (transaction) => {
      // A temporary table is visible to its own session alone.
      await queryInTransaction(
        transaction,
        'CREATE TEMP TABLE probe (n int) ON COMMIT DROP',
        [],
      );
      await queryInTransaction(
        transaction,
        'INSERT INTO probe VALUES ($1)',
        [41],
      );
      const [rows] = await sequelize.query('SELECT n FROM probe', {
        transaction,
      });
      return rows;
    });
    expect(seen).toEqual([{ n: 41 }]);
  });

  it('raises a failure as a Sequelize DatabaseError carrying the SQLSTATE', async () => {
    await expect(
      sequelize.transaction((transaction) =>
        queryInTransaction(transaction, 'SELECT 1/0', []),
      ),
    ).rejects.toMatchObject({
      name: 'SequelizeDatabaseError',
      parent: { code: '22012' },
    });
  });

  it('makes the pool destroy a discarded connection rather than hand it out again', async () => {
    const discarded = await sequelize.transaction(async (transaction) => {
      const [{ pid }] = await backendPid(transaction);
      discardConnection(transaction);
      return pid;
    });
    const pids = await Promise.all(
      [0, 1].map(() =>
        sequelize.transaction(
          async (transaction) => (await backendPid(transaction))[0].pid,
        ),
      ),
    );
    expect(pids).not.toContain(discarded);
  });

  it("reads the pool's connections by state and the requests waiting", async () => {
    const state = await sequelize.transaction(() =>
      Promise.resolve(poolState(sequelize)),
    );
    expect(state.using).toBe(1);
    expect(state.size).toBeGreaterThanOrEqual(1);
    // A connection the pool is still opening counts in size alone.
    expect(state.available).toBeGreaterThanOrEqual(0);
    expect(state.available + state.using).toBeLessThanOrEqual(state.size);
    expect(state.waiting).toBe(0);
  });
});
