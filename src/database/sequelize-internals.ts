import type { ClientBase, QueryResultRow } from 'pg';
import { DatabaseError, type Sequelize, type Transaction } from 'sequelize';
import { isConnectionUnusable } from './database-errors';

/**
 * The only file that reads Sequelize's private state; test/integration/sequelize-internals
 * fails when an upgrade moves any of it.
 *
 * - A managed transaction's pg client (`transaction.connection`, set once it has begun): the
 *   money path sends its one statement straight on it. `sequelize.query` would capture a stack
 *   trace, clone its options and rewrite bind parameters on every call, on the path every
 *   request of a burst takes (once, twice with an idempotency key); BEGIN, COMMIT, ROLLBACK and
 *   the pool stay Sequelize's.
 * - `_invalid` on a pooled client: what Sequelize's pool checks before handing a connection out
 *   again (it sets it itself when the client emits `error`).
 * - The connection a query ran on (`query.connection`, in Sequelize's query hooks) and the text
 *   of the query pg is running on a client (pg's `_activeQuery`): how a notice is tied to the
 *   COMMIT it came during (see commit-outcome.ts).
 * - The pool's counters (`connectionManager.pool`), read by `/metrics` at scrape time.
 */
type PooledClient = ClientBase & {
  _invalid?: boolean;
  _activeQuery?: { text?: string } | null;
};

interface TransactionWithClient {
  connection: PooledClient;
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
 * transaction. Failures are raised as Sequelize raises them: a `DatabaseError` around pg's; a
 * connection that is lost, timed out, or reached a node that cannot take writes (a standby, one
 * shutting down) is marked for the pool to discard.
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
    const failure = new DatabaseError(
      Object.assign(error as Error, { sql, parameters: bind }),
    );
    if (isConnectionUnusable(failure)) {
      discard(connection);
    }
    throw failure;
  }
}

/** Marks the transaction's connection so that the pool destroys it rather than reuse it. */
export function discardConnection(transaction: Transaction): void {
  discard(clientOf(transaction));
}

/** Marks a pooled connection so that the pool destroys it rather than reuse it. */
export function discard(connection: ClientBase): void {
  (connection as PooledClient)._invalid = true;
}

/** The connection a query ran on, as Sequelize's `afterQuery` hook gets the query. */
export function connectionOfQuery(query: object): ClientBase {
  return (query as { connection: ClientBase }).connection;
}

/** The text of the query in flight on `connection`, if any. */
export function activeQueryText(connection: ClientBase): string | undefined {
  return (connection as PooledClient)._activeQuery?.text;
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
