import type { ClientBase } from 'pg';
import type { SequelizeOptions } from 'sequelize-typescript';
import { OutcomeUnknownError } from '../common/common.errors';
import {
  activeQueryText,
  connectionOfQuery,
  discard,
} from './sequelize-internals';

/** Set on a connection when PostgreSQL sent a notice while its COMMIT was in flight. */
const WARNED_DURING_COMMIT = Symbol('warnedDuringCommit');

interface PooledConnection extends ClientBase {
  [WARNED_DURING_COMMIT]?: boolean;
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
  if (activeQueryText(this) === 'COMMIT;') {
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
    const connection = connectionOfQuery(query) as PooledConnection;
    if (connection[WARNED_DURING_COMMIT]) {
      connection[WARNED_DURING_COMMIT] = false;
      discard(connection);
      throw new OutcomeUnknownError();
    }
  },
};
