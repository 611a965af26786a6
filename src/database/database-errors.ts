import { ConnectionError, DatabaseError } from 'sequelize';

/**
 * SQLSTATEs that mean "the server cannot serve this right now" rather than "the query is
 * wrong": class 08 (connection exception), 57P01-57P03 (shutdown, crash, not yet accepting),
 * 53300 (too many connections) and 55P03 (a lock not granted within lock_timeout).
 */
const UNAVAILABLE_SQLSTATE = /^(08...|57P0[123]|53300|55P03)$/;

/** True when a request failed because PostgreSQL could not be reached, so a retry may succeed. */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (error instanceof ConnectionError) {
    return true;
  }
  if (error instanceof DatabaseError) {
    const { code } = error.parent as { code?: string };
    return code
      ? UNAVAILABLE_SQLSTATE.test(code)
      : /Connection terminated|ECONNRESET|not queryable|Query read timeout/.test(
          error.message,
        );
  }
  return false;
}
