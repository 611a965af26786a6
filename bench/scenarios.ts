import { fork } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { join } from 'node:path';
import { Pool, type PoolClient } from 'pg';
import {
  createMigrationConnection,
  createMigrator,
} from '../src/database/migrator';
import { SEED_BALANCE, seed } from '../src/database/seed';
import { CHANGE_BALANCE } from '../src/ledger/ledger.sql';
import {
  countOutcomes,
  fireBurst,
  type Outcome,
  postJson,
} from '../test/utils/burst';
import { freePort } from '../test/utils/free-port';
import { type Instance, startInstance } from '../test/utils/instance';
import {
  createTestDatabase,
  numericBigints,
  type TestDatabase,
} from '../test/utils/test-database';
import { ascending } from './stats';

/** What one scenario measured in one run. */
export interface Sample {
  wallMs: number;
  requests: number;
  /** Outcomes by kind, e.g. `200`, `409 INSUFFICIENT_FUNDS`, `applied`, `refused`. */
  counts: Record<string, number>;
  /** Ascending. */
  latenciesMs: number[];
  /** Ascending; empty when the scenario opens no HTTP connections. */
  connectMs: number[];
  peakRssMb?: number;
}

const HOT_USER = 1;
const DEBIT = -2;

/** Fails the whole benchmark: a fast wrong answer is not a result. */
function expectCounts(
  scenario: string,
  counts: Record<string, number>,
  expected: Record<string, number>,
): void {
  const keys = new Set([...Object.keys(counts), ...Object.keys(expected)]);
  if ([...keys].some((key) => counts[key] !== expected[key])) {
    throw new Error(
      `${scenario}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(counts)}`,
    );
  }
}

/** Half of a burst of debits of 2 on a balance of 2 × half is applied, half refused. */
function hotBurstExpectation(
  requests: number,
  applied: string,
  refused: string,
): Record<string, number> {
  return { [applied]: requests / 2, [refused]: requests / 2 };
}

/** The process's peak resident set (VmHWM), in MB; undefined where /proc is not available. */
function peakRssMb(pid: number | undefined): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /^VmHWM:\s+(\d+) kB$/m.exec(status)?.[1];
    return kb === undefined ? undefined : Number(kb) / 1024;
  } catch {
    return undefined;
  }
}

function maxDefined(values: (number | undefined)[]): number | undefined {
  const defined = values.filter((value) => value !== undefined);
  return defined.length ? Math.max(...defined) : undefined;
}

function httpSample(
  outcomes: Outcome[],
  wallMs: number,
  counts: Record<string, number>,
  peakRssMb: number | undefined,
): Sample {
  return {
    wallMs,
    requests: outcomes.length,
    counts,
    latenciesMs: ascending(outcomes.map((outcome) => outcome.latencyMs)),
    connectMs: ascending(
      outcomes.flatMap(({ connectMs }) =>
        connectMs === undefined ? [] : [connectMs],
      ),
    ),
    peakRssMb,
  };
}

const liveDatabases = new Set<TestDatabase>();

/** A fresh database on the server for `use`, dropped afterwards whatever happens. */
async function withDatabase<T>(
  server: string,
  use: (database: TestDatabase) => Promise<T>,
): Promise<T> {
  const database = await createTestDatabase({
    server,
    prefix: 'balance_bench_',
  });
  liveDatabases.add(database);
  try {
    return await use(database);
  } finally {
    liveDatabases.delete(database);
    await database.drop();
  }
}

/** On an interrupt: drops the databases of the scenario in progress. */
export async function dropLiveDatabases(): Promise<void> {
  await Promise.all([...liveDatabases].map((database) => database.drop()));
}

async function withInstances<T>(
  databaseUrl: string,
  count: number,
  env: Record<string, string>,
  use: (instances: Instance[]) => Promise<T>,
): Promise<T> {
  const instances: Instance[] = [];
  try {
    // One at a time, so that the first applies the migrations and the seed.
    for (let i = 0; i < count; i++) {
      instances.push(await startInstance(databaseUrl, env));
    }
    return await use(instances);
  } finally {
    await Promise.all(instances.map((instance) => instance.stop()));
  }
}

/** The service's schema and seed, applied as the service applies them at start-up. */
async function migrateAndSeed(databaseUrl: string): Promise<void> {
  const connection = createMigrationConnection(databaseUrl);
  try {
    await createMigrator(connection).up();
    await seed(connection);
  } finally {
    await connection.close();
  }
}

/**
 * Sets the hot user's balance to `requests` through the service's own statement (so the ledger
 * stays whole), so that exactly half of `requests` debits of 2 can succeed.
 */
async function prepareHotUser(
  database: TestDatabase,
  requests: number,
): Promise<void> {
  if (requests !== SEED_BALANCE) {
    await database.query(CHANGE_BALANCE, [
      HOT_USER,
      requests - SEED_BALANCE,
      null,
      null,
    ]);
  }
}

/** Every user's balance is the sum of its ledger entries; with `hotBalance`, user 1 ends there. */
async function expectLedgerHolds(
  scenario: string,
  database: TestDatabase,
  hotBalance?: number,
): Promise<void> {
  const [{ mismatched }] = await database.query<{ mismatched: number }>(
    `SELECT count(*) AS mismatched
     FROM users LEFT JOIN (
       SELECT user_id, sum(amount) AS total FROM balance_transactions GROUP BY user_id
     ) ledger ON ledger.user_id = users.id
     WHERE users.balance IS DISTINCT FROM ledger.total`,
  );
  const [hot] = await database.query<{ balance: number }>(
    'SELECT balance FROM users WHERE id = $1',
    [HOT_USER],
  );
  if (
    mismatched > 0 ||
    (hotBalance !== undefined && hot.balance !== hotBalance)
  ) {
    throw new Error(
      `${scenario}: ${mismatched} balance(s) differ from their ledger; user ${HOT_USER} has ${hot.balance}`,
    );
  }
}

/** 1. The service: the production build, `requests` debits at once over fresh sockets. */
export async function serviceBurst(
  server: string,
  instanceCount: number,
  requests: number,
  poolMax: number,
): Promise<Sample> {
  const scenario = `service, ${instanceCount} instance(s)`;
  return withDatabase(server, (database) =>
    withInstances(
      database.url,
      instanceCount,
      { DB_POOL_MAX: String(poolMax) },
      async (instances) => {
        await prepareHotUser(database, requests);
        const burst = await fireBurst(
          instances.map((instance) => instance.url),
          `/users/${HOT_USER}/balance`,
          { amount: DEBIT },
          requests,
        );
        const rss = maxDefined(
          instances.map((instance) => peakRssMb(instance.process.pid)),
        );
        expectCounts(
          scenario,
          burst.counts,
          hotBurstExpectation(requests, '200', '409 INSUFFICIENT_FUNDS'),
        );
        await expectLedgerHolds(scenario, database, 0);
        return httpSample(burst.outcomes, burst.wallMs, burst.counts, rss);
      },
    ),
  );
}

/** 2. The raw HTTP floor: a bare `node:http` server in a child process, the same load. */
export async function rawHttpFloor(requests: number): Promise<Sample> {
  const port = await freePort();
  const child = fork(join(__dirname, 'raw-http-server.ts'), {
    env: { ...process.env, PORT: String(port) },
    execArgv: ['--require', 'ts-node/register/transpile-only'],
  });
  try {
    await once(child, 'message');
    const burst = await fireBurst(
      [`http://127.0.0.1:${port}`],
      `/users/${HOT_USER}/balance`,
      { amount: DEBIT },
      requests,
    );
    expectCounts('raw HTTP floor', burst.counts, { '200': requests });
    // No RSS: the child carries the TypeScript compiler that loaded it, not worth comparing.
    return httpSample(burst.outcomes, burst.wallMs, burst.counts, undefined);
  } finally {
    child.kill();
  }
}

/** Applies one debit on a pooled connection; true if applied, false if refused. */
type Debit = (client: PoolClient) => Promise<boolean>;

/**
 * The service's statements, in its transaction: BEGIN, the row lock and the write sent
 * together, COMMIT (3 round trips, as `LedgerService.changeBalance` sends them).
 */
const serviceDebit: Debit = async (client) => {
  await client.query('BEGIN');
  try {
    const { rows } = await client.query<{ outcome: string }>(CHANGE_BALANCE, [
      HOT_USER,
      DEBIT,
      null,
      null,
    ]);
    await client.query('COMMIT');
    return rows[0].outcome === 'applied';
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  }
};

/** The least a debit can be: one autocommit UPDATE, no row lock taken first, no ledger. */
const bareUpdateDebit: Debit = async (client) => {
  const { rowCount } = await client.query(
    'UPDATE users SET balance = balance + $2 WHERE id = $1 AND balance + $2 >= 0',
    [HOT_USER, DEBIT],
  );
  return rowCount === 1;
};

export const DEBITS = { service: serviceDebit, bareUpdate: bareUpdateDebit };

/**
 * `pool.end()` resolves before its connections have said goodbye; dropping the database then
 * kills them halfway, and the error would escape. Waits for every connection to be gone.
 */
async function endPool(pool: Pool): Promise<void> {
  let open = pool.totalCount;
  const closed = new Promise<void>((resolve) => {
    pool.on('remove', () => --open === 0 && resolve());
  });
  await pool.end();
  if (open > 0) {
    await closed;
  }
}

/**
 * 3 and 4. A database floor: `requests` concurrent tasks, each one debit through a `pg` pool
 * of the service's size, no HTTP. Latency counts from the task's start, pool wait included,
 * as the service's does.
 */
export async function databaseFloor(
  server: string,
  debit: Debit,
  requests: number,
  poolMax: number,
): Promise<Sample> {
  const scenario =
    debit === serviceDebit ? 'database floor' : 'bare-UPDATE floor';
  return withDatabase(server, async (database) => {
    await migrateAndSeed(database.url);
    await prepareHotUser(database, requests);
    const pool = new Pool({
      connectionString: database.url,
      max: poolMax,
      types: numericBigints,
    });
    try {
      const started = performance.now();
      const tasks = await Promise.all(
        Array.from({ length: requests }, async () => {
          const fired = performance.now();
          const client = await pool.connect();
          try {
            const applied = await debit(client);
            return { applied, latencyMs: performance.now() - fired };
          } finally {
            client.release();
          }
        }),
      );
      const wallMs = performance.now() - started;
      const counts: Record<string, number> = {};
      for (const { applied } of tasks) {
        const key = applied ? 'applied' : 'refused';
        counts[key] = (counts[key] ?? 0) + 1;
      }
      expectCounts(
        scenario,
        counts,
        hotBurstExpectation(requests, 'applied', 'refused'),
      );
      if (debit === serviceDebit) {
        await expectLedgerHolds(scenario, database, 0);
      }
      return {
        wallMs,
        requests,
        counts,
        latenciesMs: ascending(tasks.map((task) => task.latencyMs)),
        connectMs: [],
      };
    } finally {
      await endPool(pool);
    }
  });
}

export interface SpreadOptions {
  users: number;
  clients: number;
  seconds: number;
}

const SPREAD_OPENING_BALANCE = 10_000;
const SPREAD_MAX_AMOUNT = 100;

function randomInt(min: number, max: number): number {
  return min + Math.floor(Math.random() * (max - min + 1));
}

/**
 * 5. A spread workload: many users, random debits and credits from `clients` keep-alive
 * clients against one instance, for a fixed time.
 */
export async function spreadWorkload(
  server: string,
  { users, clients, seconds }: SpreadOptions,
  poolMax: number,
): Promise<Sample> {
  const scenario = 'spread workload';
  return withDatabase(server, (database) =>
    withInstances(
      database.url,
      1,
      { DB_POOL_MAX: String(poolMax) },
      async ([instance]) => {
        const rows = await database.query<{ id: number }>(
          `WITH created AS (
             INSERT INTO users (balance) SELECT $1 FROM generate_series(1, $2)
             RETURNING id, balance
           )
           INSERT INTO balance_transactions (user_id, amount, balance_after, type)
           SELECT id, balance, balance, 'opening' FROM created
           RETURNING user_id AS id`,
          [SPREAD_OPENING_BALANCE, users],
        );
        const ids = rows.map((row) => row.id);
        const agent = new Agent({ keepAlive: true, maxSockets: clients });
        const outcomes: Outcome[] = [];
        const started = performance.now();
        const deadline = started + seconds * 1000;
        await Promise.all(
          Array.from({ length: clients }, async () => {
            while (performance.now() < deadline) {
              const id = ids[randomInt(0, ids.length - 1)];
              const amount =
                randomInt(1, SPREAD_MAX_AMOUNT) *
                (Math.random() < 0.5 ? -1 : 1);
              outcomes.push(
                await postJson(
                  agent,
                  new URL(`/users/${id}/balance`, instance.url),
                  JSON.stringify({ amount }),
                ),
              );
            }
          }),
        );
        const wallMs = performance.now() - started;
        agent.destroy();
        const counts = countOutcomes(outcomes);
        const unexpected = Object.keys(counts).filter(
          (key) => key !== '200' && key !== '409 INSUFFICIENT_FUNDS',
        );
        if (unexpected.length > 0) {
          throw new Error(`${scenario}: unexpected ${JSON.stringify(counts)}`);
        }
        await expectLedgerHolds(scenario, database);
        return httpSample(
          outcomes,
          wallMs,
          counts,
          peakRssMb(instance.process.pid),
        );
      },
    ),
  );
}
