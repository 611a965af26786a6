import type { ClientBase, QueryResultRow } from 'pg';
import { DatabaseError, type Sequelize, type Transaction } from 'sequelize';

/**
 * The only file that reads Sequelize's private state; test/integration/sequelize-internals
 * fails when an upgrade moves any of it.
 *
 * - A managed transaction's pg client (`transaction.connection`, set once it has begun): the
 *   money path sends its one statement straight on it. `sequelize.query` would capture a stack
 *   trace, clone its options and rewrite bind parameters on every call, on the path every
 *   request of a burst takes; BEGIN, COMMIT, ROLLBACK and the pool stay Sequelize's.
 * - `_invalid` on that client: what Sequelize's pool checks before handing a connection out
 *   again (it sets it itself when the client emits `error`).
 * - The pool's counters (`connectionManager.pool`), read by `/metrics` at scrape time.
 */
interface TransactionWithClient {
  connection: ClientBase & { _invalid?: boolean };
}

interface PoolState {
  size: number;
  available: number;
  using: number;
  waiting: number;
}

function clientOf(
  transaction: Transaction,
): TransactionWithClient['connection'] {
  return (transaction as unknown as TransactionWithClient).connection;
}

/**
 * Runs one statement with bound parameters on the connection of a managed Sequelize
 * transaction. Failures are raised as Sequelize raises them: a `DatabaseError` around pg's, and
 * a connection that timed out or was reset is marked for the pool to discard.
 */
export async function queryInTransaction<Row extends QueryResultRow>(
  transaction: Transaction,
  sql: string,
  bind: unknown[],
  /** How long to wait for the answer; unset: the pool's query timeout. */
  timeoutMs?: number,
): Promise<Row[]> {
  const connection = clientOf(transaction);
  try {
    return (
      await connection.query<Row>({
        text: sql,
        values: bind,
        ...(timeoutMs === undefined ? {} : { query_timeout: timeoutMs }),
      })
    ).rows;
  } catch (error) {
    const failure = error as Error & { code?: string };
    if (
      failure.code === 'ECONNRESET' ||
      failure.message === 'Query read timeout'
    ) {
      discardConnection(transaction);
    }
    throw new DatabaseError(Object.assign(failure, { sql, parameters: bind }));
  }
}

/** Marks the transaction's connection so that the pool destroys it rather than reuse it. */
export function discardConnection(transaction: Transaction): void {
  clientOf(transaction)._invalid = true;
}

/** The pool's connections by state, and the requests waiting for one. */
export function poolState(sequelize: Sequelize): PoolState {
  const { pool } = sequelize.connectionManager as unknown as {
    pool: PoolState;
  };
  return {
    size: pool.size,
    available: pool.available,
    using: pool.using,
    waiting: pool.waiting,
  };
}
