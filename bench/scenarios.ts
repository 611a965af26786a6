import { readFileSync } from 'node:fs';
import { Pool } from 'pg';
import {
  createMigrationConnection,
  createMigrator,
} from '../src/database/migrator';
import { SEED_BALANCE, seed } from '../src/database/seed';
import { CHANGE_BALANCE } from '../src/ledger/ledger.sql';
import { type BurstResult, fireBurst } from '../test/utils/burst';
import { type Instance, startInstance } from '../test/utils/instance';
import {
  createTestDatabase,
  numericBigints,
  type TestDatabase,
} from '../test/utils/test-database';
import { type ChildServer, startChildServer } from './child-server';
import { postgresCpuMs, processesCpuMs } from './cpu';
import type { BenchServer } from './postgres';
import {
  expectSpreadReconciles,
  type SpreadLoad,
  spreadLoad,
  type SpreadOptions,
} from './spread-load';
import { ascending, percentile } from './stats';

/** What one scenario measured in one run. */
export interface Sample {
  wallMs: number;
  requests: number;
  /** Outcomes by kind, e.g. `200`, `409 INSUFFICIENT_FUNDS`, `applied`, `refused`. */
  counts: Record<string, number>;
  p50Ms: number;
  p99Ms: number;
  /** Ascending; for the bursts, which the chart draws. */
  latenciesMs?: number[];
  /**
   * CPU time over the load of the HTTP server process(es) under test: the service's, the
   * reference's or the raw floor's; undefined without one.
   */
  appCpuMs?: number;
  /** CPU time over the load of the whole PostgreSQL server; undefined if it is not local. */
  postgresCpuMs?: number;
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

interface CpuUse {
  appCpuMs?: number;
  postgresCpuMs?: number;
}

const since = (before?: number, after?: number) =>
  before === undefined || after === undefined ? undefined : after - before;

/**
 * The CPU time that the server processes `pids` and the PostgreSQL server use during `load`.
 * Sampled while the pools' connections are still open: a backend's own time is read live, or
 * from the postmaster once it has exited.
 */
async function measureCpu<T>(
  pids: number[],
  server: BenchServer,
  load: () => Promise<T>,
): Promise<[T, CpuUse]> {
  const app = () => (pids.length ? processesCpuMs(pids) : undefined);
  const postgres = () =>
    server.postmasterPid === undefined
      ? undefined
      : postgresCpuMs(server.postmasterPid);
  const [appBefore, postgresBefore] = [app(), postgres()];
  const result = await load();
  return [
    result,
    {
      appCpuMs: since(appBefore, app()),
      postgresCpuMs: since(postgresBefore, postgres()),
    },
  ];
}

function burstSample(
  burst: BurstResult,
  cpu: CpuUse,
  peakRssMb: number | undefined,
): Sample {
  const latenciesMs = ascending(
    burst.outcomes.map((outcome) => outcome.latencyMs),
  );
  return {
    wallMs: burst.wallMs,
    requests: burst.outcomes.length,
    counts: burst.counts,
    p50Ms: percentile(latenciesMs, 50),
    p99Ms: percentile(latenciesMs, 99),
    latenciesMs,
    ...cpu,
    peakRssMb,
  };
}

function spreadSample(
  load: SpreadLoad,
  cpu: CpuUse,
  peakRssMb: number | undefined,
): Sample {
  return {
    wallMs: load.wallMs,
    requests: load.requests,
    counts: { ...load.counts, 'cut off at the end': load.cutOff.length },
    p50Ms: load.p50Ms,
    p99Ms: load.p99Ms,
    ...cpu,
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

/** The service's production build, `count` instances on the database, for `use`. */
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

const HOT_PATH = `/users/${HOT_USER}/balance`;

/**
 * `requests` debits of 2 at once over fresh sockets, round-robin over `urls`, against a hot
 * balance of `requests`: exactly half must be applied, half refused.
 */
async function hotBurst(
  scenario: string,
  server: BenchServer,
  urls: string[],
  pids: number[],
  requests: number,
): Promise<Sample> {
  const [burst, cpu] = await measureCpu(pids, server, () =>
    fireBurst(urls, HOT_PATH, { amount: DEBIT }, requests),
  );
  const rss = maxDefined(pids.map(peakRssMb));
  expectCounts(
    scenario,
    burst.counts,
    hotBurstExpectation(requests, '200', '409 INSUFFICIENT_FUNDS'),
  );
  return burstSample(burst, cpu, rss);
}

/** The service: the production build, a hot burst split over `instanceCount` instances. */
export async function serviceBurst(
  server: BenchServer,
  instanceCount: number,
  requests: number,
  poolMax: number,
): Promise<Sample> {
  const scenario = `service, ${instanceCount} instance(s)`;
  return withDatabase(server.url, (database) =>
    withInstances(
      database.url,
      instanceCount,
      { DB_POOL_MAX: String(poolMax) },
      async (instances) => {
        await prepareHotUser(database, requests);
        const sample = await hotBurst(
          scenario,
          server,
          instances.map((instance) => instance.url),
          instances.map((instance) => instance.process.pid!),
          requests,
        );
        await expectLedgerHolds(scenario, database, 0);
        return sample;
      },
    ),
  );
}

/**
 * A design the service is measured against, served by `bench/<script>.ts` in the reference's
 * schema: the reference itself (Express, one conditional UPDATE in autocommit), the reference
 * with that UPDATE in a managed transaction, or the Nest floor (the same UPDATE in the
 * service's stack and managed transaction).
 */
export interface Design {
  name: string;
  script: 'reference-server' | 'nest-floor-server';
  env?: Record<string, string>;
}

export const REFERENCE: Design = {
  name: 'reference',
  script: 'reference-server',
};
/** What the managed transaction alone, which the service must keep, costs the reference. */
export const REFERENCE_IN_TRANSACTION: Design = {
  name: 'reference in a managed transaction',
  script: 'reference-server',
  env: { REFERENCE_TRANSACTION: 'managed' },
};
export const NEST_FLOOR: Design = {
  name: 'Nest floor',
  script: 'nest-floor-server',
};

/** The design's server on the database, for `use`; its pool is the service's size. */
async function withDesign<T>(
  design: Design,
  databaseUrl: string,
  poolMax: number,
  use: (server: ChildServer) => Promise<T>,
): Promise<T> {
  const child = await startChildServer(design.script, {
    ...design.env,
    DATABASE_URL: databaseUrl,
    DB_POOL_MAX: String(poolMax),
  });
  try {
    return await use(child);
  } finally {
    await child.stop();
  }
}

/** A design (see `Design`): the same hot burst. */
export async function designBurst(
  design: Design,
  server: BenchServer,
  requests: number,
  poolMax: number,
): Promise<Sample> {
  const scenario = design.name;
  return withDatabase(server.url, (database) =>
    withDesign(design, database.url, poolMax, async (child) => {
      await database.query('INSERT INTO users (id, balance) VALUES ($1, $2)', [
        HOT_USER,
        requests,
      ]);
      const sample = await hotBurst(
        scenario,
        server,
        [child.url],
        [child.pid],
        requests,
      );
      const [hot] = await database.query<{ balance: number }>(
        'SELECT balance FROM users WHERE id = $1',
        [HOT_USER],
      );
      if (hot.balance !== 0) {
        throw new Error(`${scenario}: user ${HOT_USER} ends at ${hot.balance}`);
      }
      return sample;
    }),
  );
}

/**
 * The raw HTTP floor: a bare `node:http` server in a child process, the same burst. It
 * answers every request alike, so all are 200.
 */
export async function rawHttpFloor(
  server: BenchServer,
  requests: number,
): Promise<Sample> {
  const raw = await startChildServer('raw-http-server');
  try {
    const [burst, cpu] = await measureCpu([raw.pid], server, () =>
      fireBurst([raw.url], HOT_PATH, { amount: DEBIT }, requests),
    );
    expectCounts('raw HTTP floor', burst.counts, { '200': requests });
    // No PostgreSQL time: the floor does not touch it, and what the server did meanwhile is noise.
    return burstSample(burst, { appCpuMs: cpu.appCpuMs }, peakRssMb(raw.pid));
  } finally {
    await raw.stop();
  }
}

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
 * The database floor: the service's statements for a debit, in its transaction (BEGIN, the
 * row lock and the write sent together, COMMIT: 3 round trips, as `UsersService.changeBalance`
 * sends them), as `requests` concurrent tasks through a `pg` pool of the service's size, no
 * HTTP. Latency counts from the task's start, pool wait included, as the service's does.
 */
export async function databaseFloor(
  server: BenchServer,
  requests: number,
  poolMax: number,
): Promise<Sample> {
  const scenario = 'database floor';
  return withDatabase(server.url, async (database) => {
    await migrateAndSeed(database.url);
    await prepareHotUser(database, requests);
    const pool = new Pool({
      connectionString: database.url,
      max: poolMax,
      types: numericBigints,
    });
    try {
      const debit = async () => {
        const fired = performance.now();
        const client = await pool.connect();
        try {
          await client.query('BEGIN');
          const { rows } = await client.query<{ outcome: string }>(
            CHANGE_BALANCE,
            [HOT_USER, DEBIT, null, null],
          );
          await client.query('COMMIT');
          return {
            applied: rows[0].outcome === 'applied',
            latencyMs: performance.now() - fired,
          };
        } catch (error) {
          await client.query('ROLLBACK');
          throw error;
        } finally {
          client.release();
        }
      };
      // The bench's own process is the client here: no server process to measure.
      const [{ tasks, wallMs }, cpu] = await measureCpu(
        [],
        server,
        async () => {
          const started = performance.now();
          const tasks = await Promise.all(
            Array.from({ length: requests }, debit),
          );
          return { tasks, wallMs: performance.now() - started };
        },
      );
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
      await expectLedgerHolds(scenario, database, 0);
      const latenciesMs = ascending(tasks.map((task) => task.latencyMs));
      return {
        wallMs,
        requests,
        counts,
        p50Ms: percentile(latenciesMs, 50),
        p99Ms: percentile(latenciesMs, 99),
        latenciesMs,
        ...cpu,
      };
    } finally {
      await endPool(pool);
    }
  });
}

const SPREAD_OPENING_BALANCE = 10_000;

/**
 * Once the server process is gone, waits for its backends to be gone too: a statement it sent
 * last may still commit until then.
 */
async function waitForOtherSessionsToEnd(
  scenario: string,
  database: TestDatabase,
): Promise<void> {
  for (const started = Date.now(); Date.now() - started < 10_000;) {
    const [{ sessions }] = await database.query<{ sessions: number }>(
      `SELECT count(*)::int AS sessions FROM pg_stat_activity
       WHERE datname = current_database() AND pid <> pg_backend_pid()`,
    );
    if (sessions === 0) {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${scenario}: sessions left on the database after 10 s`);
}

/**
 * The spread load against one server process, then its exactness: the process is stopped and
 * its sessions gone first, so that no request cut off at the end can still change a balance.
 */
async function spreadOn(
  scenario: string,
  server: BenchServer,
  database: TestDatabase,
  target: { url: string; pid: number; stop(): Promise<unknown> },
  userIds: number[],
  options: SpreadOptions,
): Promise<Sample> {
  const [load, cpu] = await measureCpu([target.pid], server, () =>
    spreadLoad(target.url, userIds, options),
  );
  const rss = peakRssMb(target.pid);
  await target.stop();
  await waitForOtherSessionsToEnd(scenario, database);
  const balances = await database.query<{ id: number; balance: number }>(
    'SELECT id, balance FROM users WHERE id = ANY($1)',
    [userIds],
  );
  expectSpreadReconciles(scenario, SPREAD_OPENING_BALANCE, balances, load);
  return spreadSample(load, cpu, rss);
}

/**
 * The service under the spread: `users` users with 10000 each (and their opening ledger
 * entries), credits and debits of 1 on random users over keep-alive connections.
 */
export async function serviceSpread(
  server: BenchServer,
  options: SpreadOptions,
  poolMax: number,
): Promise<Sample> {
  const scenario = 'service spread';
  return withDatabase(server.url, (database) =>
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
          [SPREAD_OPENING_BALANCE, options.users],
        );
        const sample = await spreadOn(
          scenario,
          server,
          database,
          { ...instance, pid: instance.process.pid! },
          rows.map((row) => row.id),
          options,
        );
        await expectLedgerHolds(scenario, database);
        return sample;
      },
    ),
  );
}

/** A design under the same spread. */
export async function designSpread(
  design: Design,
  server: BenchServer,
  options: SpreadOptions,
  poolMax: number,
): Promise<Sample> {
  return withDatabase(server.url, (database) =>
    withDesign(design, database.url, poolMax, async (child) => {
      const rows = await database.query<{ id: number }>(
        'INSERT INTO users (balance) SELECT $1 FROM generate_series(1, $2) RETURNING id',
        [SPREAD_OPENING_BALANCE, options.users],
      );
      return spreadOn(
        `${design.name} spread`,
        server,
        database,
        child,
        rows.map((row) => row.id),
        options,
      );
    }),
  );
}
