import {
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnModuleDestroy,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Client } from 'pg';
import type { Transaction } from 'sequelize';
import { Environment } from '../config/environment';
import { DatabaseServer } from '../database/database-server';
import { type EventPosition, isAfter } from './event-position';

/** The channel instances signal each other's commits on. */
const CHANNEL = 'events';

/**
 * A NOTIFY needs no flush to disk (a lost one only delays a waiter). SET LOCAL, not SET: should
 * the URL go through a transaction pooler after all, a session setting would stay on a server
 * connection that money transactions use next.
 */
const NOTIFY = `BEGIN; SET LOCAL synchronous_commit = off; NOTIFY ${CHANNEL}; COMMIT`;

/** At most one NOTIFY per this long: a burst's commits are signalled in batches. */
const NOTIFY_INTERVAL_MS = 5;

/** Re-reads of the head while committed events wait behind an older running transaction. */
const HIDDEN_RECHECK_MS = { first: 5, last: 50 };

const RECONNECT_MS = { first: 250, last: 5_000 };
const CONNECT_TIMEOUT_MS = 5_000;

/**
 * The last visible event and whether committed events are still hidden (their xid is not below
 * the horizon, because an older transaction is still running). One index range each.
 */
const HEAD = `
  WITH horizon AS (SELECT events_horizon() AS xid)
  SELECT head.xid::text AS xid, head.id,
    EXISTS (SELECT 1 FROM events e WHERE e.xid >= horizon.xid) AS hidden
  FROM horizon LEFT JOIN LATERAL (
    SELECT e.xid, e.id FROM events e WHERE e.xid < horizon.xid
    ORDER BY e.xid DESC, e.id DESC LIMIT 1
  ) head ON true`;

interface Waiter {
  after: EventPosition;
  wake: () => void;
}

/**
 * Wakes the requests of this instance that wait for events (GET /events?waitSeconds=), without
 * a pooled connection each: one connection per instance LISTENs, and one query of its own reads
 * the feed's head when something may have changed; only the waiters it has passed are woken,
 * and they read their page. Something may have changed when a money transaction of this
 * instance commits (`wakeAfterCommit`), or another instance says so (a NOTIFY, sent at most
 * every few milliseconds rather than inside each money transaction, where it would take
 * PostgreSQL's one notify lock at every commit and serialize them).
 *
 * A lost signal delays a waiter, never loses an event: the feed is read from the table. While
 * committed events are hidden behind an older running transaction (which signals nothing when it
 * ends if it rolls back, or is not a money transaction) the head is re-read every few ms.
 *
 * LISTEN needs a session, so the connection is direct: DATABASE_MIGRATION_URL when set (the
 * address that bypasses a transaction-pooling PgBouncer), else DATABASE_URL. It reconnects
 * after PostgreSQL restarts.
 */
@Injectable()
export class EventsListener implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(EventsListener.name);
  private readonly url: string;
  private client: Client | undefined;
  private stopped = false;
  private readonly waiters = new Set<Waiter>();
  private checking = false;
  private checkAgain = false;
  private notifyTimer: NodeJS.Timeout | undefined;
  /** A commit has happened since the last NOTIFY was sent. */
  private unsignalled = false;
  /** The listener's queries, one at a time: a NOTIFY waits for a head read, and the reverse. */
  private queries: Promise<unknown> = Promise.resolve();
  private recheckTimer: NodeJS.Timeout | undefined;
  private recheckMs = HIDDEN_RECHECK_MS.first;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private reconnectMs = RECONNECT_MS.first;

  constructor(
    server: DatabaseServer,
    config: ConfigService<Environment, true>,
  ) {
    this.url =
      config.get('DATABASE_MIGRATION_URL', { infer: true }) ?? server.url;
  }

  /** After the migrations: the head query reads the events table. */
  async onApplicationBootstrap(): Promise<void> {
    await this.connect();
  }

  /** Waiting requests answer now, with what they find; nothing reconnects. */
  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.notifyTimer);
    clearTimeout(this.recheckTimer);
    clearTimeout(this.reconnectTimer);
    for (const waiter of this.waiters) waiter.wake();
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  /** How many requests wait for events now. */
  get waitingRequests(): number {
    return this.waiters.size;
  }

  /**
   * A money function's row, passed through; when it applied a change, the feed has new events
   * once `transaction` commits, and the waiters they concern are woken then.
   */
  wakeIfApplied<Row extends object>(transaction: Transaction, row: Row): Row {
    if (!('outcome' in row) || row.outcome === 'applied') {
      transaction.afterCommit(this.committed);
    }
    return row;
  }

  /**
   * Resolves when an event past `after` is visible, when `timeoutMs` has passed, or when the
   * instance stops; the caller reads the feed then, whichever it was.
   */
  waitPast(after: EventPosition, timeoutMs: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const waiter: Waiter = {
        after,
        wake: () => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          resolve();
        },
      };
      const timer = setTimeout(waiter.wake, timeoutMs);
      this.waiters.add(waiter);
      // An event may have become visible between the caller's read and now.
      this.check();
    });
  }

  private readonly committed = (): void => {
    this.check();
    this.unsignalled = true;
    this.scheduleNotify();
  };

  private scheduleNotify(): void {
    if (this.notifyTimer === undefined && this.client && !this.stopped) {
      this.notifyTimer = setTimeout(this.notify, NOTIFY_INTERVAL_MS);
    }
  }

  private readonly notify = (): void => {
    const client = this.client;
    this.unsignalled = false;
    if (!client) {
      this.notifyTimer = undefined;
      return;
    }
    // Commits made while it is on its way get a NOTIFY of their own, sent after it.
    void this.query(client, NOTIFY)
      .catch(() => undefined)
      .finally(() => {
        this.notifyTimer = undefined;
        if (this.unsignalled) this.scheduleNotify();
      });
  };

  private query<Row extends object>(
    client: Client,
    sql: string,
  ): Promise<Row[]> {
    const result = this.queries.then(
      async () => (await client.query<Row>(sql)).rows,
    );
    this.queries = result.catch(() => undefined);
    return result;
  }

  /** Reads the head once, and once more if asked again meanwhile; wakes the waiters it passed. */
  private readonly check = (): void => {
    if (this.waiters.size === 0) return;
    if (this.checking) {
      this.checkAgain = true;
      return;
    }
    this.checking = true;
    void this.checkUntilQuiet().finally(() => {
      this.checking = false;
    });
  };

  private async checkUntilQuiet(): Promise<void> {
    do {
      this.checkAgain = false;
      const client = this.client;
      if (!client || this.waiters.size === 0) return;
      let row: { xid: string | null; id: number | null; hidden: boolean };
      try {
        [row] = await this.query<typeof row>(client, HEAD);
      } catch {
        // The connection's error handler reconnects, and checks again then.
        return;
      }
      if (row.xid !== null && row.id !== null) {
        const head = { xid: BigInt(row.xid), id: Number(row.id) };
        for (const waiter of this.waiters) {
          if (isAfter(head, waiter.after)) waiter.wake();
        }
      }
      this.recheckWhileHidden(row.hidden);
    } while (this.checkAgain);
  }

  private recheckWhileHidden(hidden: boolean): void {
    if (!hidden || this.waiters.size === 0) {
      this.recheckMs = HIDDEN_RECHECK_MS.first;
      return;
    }
    if (this.recheckTimer !== undefined) return;
    this.recheckTimer = setTimeout(() => {
      this.recheckTimer = undefined;
      this.check();
    }, this.recheckMs);
    this.recheckMs = Math.min(this.recheckMs * 2, HIDDEN_RECHECK_MS.last);
  }

  private async connect(): Promise<void> {
    this.reconnectTimer = undefined;
    const client = new Client({
      connectionString: this.url,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      keepAlive: true,
    });
    const lost = (error?: Error) => this.lost(client, error);
    client.on('error', lost);
    client.on('end', lost);
    let ownPid: number | undefined;
    // Its own NOTIFYs come back to it too; their commits woke this instance already.
    client.on('notification', ({ processId }) => {
      if (processId !== ownPid) this.check();
    });
    try {
      await client.connect();
      const { rows } = await client.query<{ pid: number }>(
        'SELECT pg_backend_pid() AS pid',
      );
      ownPid = rows[0].pid;
      await client.query(`LISTEN ${CHANNEL}`);
    } catch (error) {
      this.lost(client, error as Error);
      return;
    }
    if (this.stopped) {
      await client.end();
      return;
    }
    this.client = client;
    this.reconnectMs = RECONNECT_MS.first;
    // Signals sent while it was away are lost: look once.
    this.check();
  }

  private lost(client: Client, error?: Error): void {
    client.removeAllListeners();
    client.on('error', () => undefined);
    client.end().catch(() => undefined);
    if (this.client === client) this.client = undefined;
    if (this.stopped || this.reconnectTimer !== undefined) return;
    this.logger.warn(
      `Change feed listener disconnected${error ? `: ${error.message}` : ''}; reconnecting`,
    );
    this.reconnectTimer = setTimeout(
      () => void this.connect(),
      this.reconnectMs,
    );
    this.reconnectMs = Math.min(this.reconnectMs * 2, RECONNECT_MS.last);
  }
}
