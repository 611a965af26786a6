import type { ClientBase } from 'pg';
import type { SequelizeOptions } from 'sequelize-typescript';
import { OutcomeUnknownError } from '../common/common.errors';

/** Set on a connection when PostgreSQL sent a notice while its COMMIT was in flight. */
const WARNED_DURING_COMMIT = Symbol('warnedDuringCommit');

interface PooledConnection extends ClientBase {
  [WARNED_DURING_COMMIT]?: boolean;
  /** Sequelize's mark for the pool to discard the connection. */
  _invalid?: boolean;
  /** pg's query in flight on this client (pg 8's own field). */
  _activeQuery?: { text?: string } | null;
}

/**
 * A COMMIT that waits for the synchronous standby and is cancelled or terminated during that
 * wait (a statement_timeout, pg_cancel_backend, pg_terminate_backend, a fast shutdown) has
 * already committed locally, but may not be on the standby: PostgreSQL then sends the WARNING
 * "canceling wait for synchronous replication" and, on a cancel, answers the COMMIT as a
 * success. A failover can lose that change. No other notice is expected during a COMMIT here
 * (no deferred triggers), and the warning's text is translated with lc_messages, so any
 * notice during a COMMIT counts.
 */
function onNotice(this: PooledConnection): void {
  if (this._activeQuery?.text === 'COMMIT;') {
    this[WARNED_DURING_COMMIT] = true;
  }
}

/**
 * Sequelize hooks that turn such a COMMIT into OUTCOME_UNKNOWN instead of a success. One
 * listener per pooled connection, attached when it connects; each query then costs a property
 * read.
 */
export const commitOutcomeHooks: SequelizeOptions['hooks'] = {
  afterConnect(connection) {
    (connection as PooledConnection).on('notice', onNotice);
  },
  afterQuery(_options, query) {
    const connection = (query as unknown as { connection: PooledConnection })
      .connection;
    if (connection[WARNED_DURING_COMMIT]) {
      connection[WARNED_DURING_COMMIT] = false;
      connection._invalid = true;
      throw new OutcomeUnknownError();
    }
  },
};
