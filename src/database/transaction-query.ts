import type { ClientBase, QueryResultRow } from 'pg';
import { DatabaseError, type Transaction } from 'sequelize';
import { isConnectionUnusable } from './database-errors';

/** What Sequelize keeps on a transaction: the pg client it runs on, once it has begun. */
interface TransactionWithClient {
  connection: ClientBase & { _invalid?: boolean };
}

/**
 * Runs one statement with bound parameters on the connection of a managed Sequelize
 * transaction, straight through pg. The hot path's statement is one per request, and
 * `sequelize.query` costs a captured stack trace, option cloning and bind-parameter rewriting
 * on each call; the transaction itself (BEGIN, COMMIT or ROLLBACK, the pooled connection)
 * stays Sequelize's. Failures are raised as Sequelize raises them: a `DatabaseError` around
 * pg's, and a connection that is lost, timed out, or reached a node that cannot take writes (a
 * standby, one shutting down) is marked for the pool to discard.
 */
export async function queryInTransaction<Row extends QueryResultRow>(
  transaction: Transaction,
  sql: string,
  bind: unknown[],
  /** How long to wait for the answer; unset: the pool's query timeout. */
  timeoutMs?: number,
): Promise<Row[]> {
  const { connection } = transaction as unknown as TransactionWithClient;
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
      connection._invalid = true;
    }
    throw failure;
  }
}
