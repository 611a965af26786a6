import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { Client } from 'pg';
import { DatabaseServer } from '../database/database-server';

/** How long readiness waits for PostgreSQL, connecting included; below the image's 3 s check. */
const PROBE_TIMEOUT_MS = 1_000;

/** The name the probe's session carries in pg_stat_activity. */
export const PROBE_APPLICATION_NAME = 'balance-service readiness';

/**
 * Why PostgreSQL cannot serve, or undefined when it can: it answers and takes writes.
 * A standby (in recovery, or read-only after a failover) answers but refuses every change.
 */
export type DatabaseProblem = string | undefined;

/**
 * Readiness asks PostgreSQL on a connection of its own, never one of the request pool: a busy
 * pool (a burst queues thousands of requests for it) is not a database that does not answer,
 * and waiting for it would mark every replica unready together. One session, opened on first
 * use and replaced after any failure; concurrent checks share the query in flight.
 */
@Injectable()
export class DatabaseProbe implements OnModuleDestroy {
  private client?: Promise<Client>;
  private inFlight?: Promise<DatabaseProblem>;
  private closed = false;

  constructor(private readonly server: DatabaseServer) {}

  check(): Promise<DatabaseProblem> {
    if (this.closed) return Promise.resolve('the service is shutting down');
    this.inFlight ??= withTimeout(this.ask(), PROBE_TIMEOUT_MS)
      .catch((error: unknown) => {
        this.discard();
        return `PostgreSQL does not answer: ${describe(error)}`;
      })
      .finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  private async ask(): Promise<DatabaseProblem> {
    const client = await this.connect();
    const { rows } = await client.query<{
      in_recovery: boolean;
      read_only: string;
    }>(
      "SELECT pg_is_in_recovery() AS in_recovery, current_setting('transaction_read_only') AS read_only",
    );
    const [{ in_recovery: inRecovery, read_only: readOnly }] = rows;
    if (inRecovery)
      return 'PostgreSQL is a standby (in recovery): it takes no writes';
    if (readOnly === 'on') return 'PostgreSQL is read-only: it takes no writes';
    // A write, committed: a leader just promoted answers and is neither of the above, yet its
    // commits wait until a synchronous standby follows it, as this one does. Past the bound the
    // session is dropped; the wait stays a client-side one (no cancel is sent).
    await client.query(
      'UPDATE readiness_write SET written_at = now() WHERE id = 1',
    );
    return undefined;
  }

  private connect(): Promise<Client> {
    this.client ??= (async () => {
      const client = new Client({
        connectionString: this.server.url,
        application_name: PROBE_APPLICATION_NAME,
        connectionTimeoutMillis: PROBE_TIMEOUT_MS,
        keepAlive: true,
      });
      // A session that breaks between checks (a restart, a terminated backend) is replaced
      // by the next check; without a listener the error would end the process.
      client.on('error', () => this.discard());
      await client.connect();
      return client;
    })();
    return this.client;
  }

  /** Drops the session without waiting: a server that does not answer would not answer its end. */
  private discard(): void {
    const client = this.client;
    this.client = undefined;
    void client?.then(
      (session) => session.end().catch(() => undefined),
      () => undefined,
    );
  }

  onModuleDestroy(): void {
    this.closed = true;
    this.discard();
  }
}

/**
 * Rejects once `ms` have passed. An answer that arrived in the same turn of a busy event loop
 * as the timer still counts: the timer's phase runs before the one that reads sockets, so the
 * verdict waits for the next check phase.
 */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(
      () =>
        setImmediate(() => {
          if (!settled) reject(new Error(`no answer within ${ms} ms`));
        }),
      ms,
    );
    promise.then(
      (value) => {
        settled = true;
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        settled = true;
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
