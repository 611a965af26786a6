import { ConnectionError, DatabaseError } from 'sequelize';

/**
 * SQLSTATEs that mean "this connection's node cannot serve writes now": class 08 (connection
 * exception), 57P01-57P03 (shutdown or terminated by the administrator, crash, not yet
 * accepting connections) and 25006 (a read-only transaction: the node is a standby, e.g. a
 * demoted leader, or one not yet promoted). Such a connection must not serve another request.
 */
const NODE_LOST_SQLSTATE = /^(08...|57P0[123]|25006)$/;

/** Busy rather than lost: 53300 (too many connections), 55P03 (lock_timeout). */
const BUSY_SQLSTATE = /^(53300|55P03)$/;

/** pg's own failures of a connection, which carry no SQLSTATE. */
const CONNECTION_LOST =
  /Connection terminated|ECONNRESET|EPIPE|not queryable|Query read timeout/;

/** What Sequelize sends to end a managed transaction. */
const COMMIT = 'COMMIT;';

function sqlState(error: DatabaseError): string | undefined {
  return (error.parent as { code?: string }).code;
}

/**
 * True when the connection an error came on must be discarded: it is gone, or its node cannot
 * take writes now (a standby answers on it until it is closed).
 */
export function isConnectionUnusable(error: unknown): boolean {
  if (error instanceof ConnectionError) {
    return true;
  }
  if (!(error instanceof DatabaseError)) {
    return false;
  }
  const code = sqlState(error);
  return (
    (code !== undefined && NODE_LOST_SQLSTATE.test(code)) ||
    CONNECTION_LOST.test(error.message)
  );
}

/** True when a request failed because PostgreSQL could not serve it now, so a retry may succeed. */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (isConnectionUnusable(error)) {
    return true;
  }
  const code = error instanceof DatabaseError ? sqlState(error) : undefined;
  return code !== undefined && BUSY_SQLSTATE.test(code);
}

/**
 * True when the connection failed while COMMIT was in flight: the transaction may have
 * committed (and been replicated) or not, and only a retry under the same Idempotency-Key can
 * tell which.
 */
export function isCommitOutcomeUnknown(error: unknown): boolean {
  return (
    error instanceof DatabaseError &&
    error.sql === COMMIT &&
    isConnectionUnusable(error)
  );
}
