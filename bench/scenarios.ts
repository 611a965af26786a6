import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../test/utils/free-port';
import {
  createTestDatabase,
  type TestDatabase,
} from '../test/utils/test-database';
import { peakRssMb, processCpuMs } from './cpu';
import { percentile } from './stats';
import type { BenchServer } from './postgres';
import {
  burstLoad,
  expectBalances,
  type LoadResult,
  spreadLoad,
  type SpreadOptions,
} from './loads';

/** What one scenario measured in one run: the server's CPU time is over the load alone. */
export type Sample = Omit<LoadResult, 'applied' | 'cutOff'> & {
  cpuMs: number;
  peakRssMb: number;
};

/**
 * A server under test, run by plain Node from `main`, on a fresh database for each scenario.
 * A build of the service (`ledger`) migrates that database itself, and its accounts open with
 * an opening ledger entry; a reference design makes a bare `users` table.
 */
export interface Design {
  name: string;
  main: string;
  env: Record<string, string>;
  ledger: boolean;
}

export const serviceBuild = (name: string, main: string): Design => ({
  name,
  main,
  // An empty API_KEYS leaves the service open, whatever the environment or `.env` holds.
  env: { LOG_LEVEL: 'warn', API_KEYS: '' },
  ledger: true,
});

/** Where `tsc -p bench/servers.tsconfig.json` compiles the reference designs' servers. */
const COMPILED = join(__dirname, '../node_modules/.cache/balance-bench');

export const referenceDesign = (
  name: string,
  server: 'reference-server' | 'nest-floor-server',
  env: Record<string, string> = {},
): Design => ({
  name,
  main: join(COMPILED, `${server}.js`),
  env,
  ledger: false,
});

interface RunningServer {
  url: string;
  pid: number;
  /** Idempotent; resolves once the process is gone. */
  stop(): Promise<void>;
}

/** Starts the design on a free port; it is up once it answers HTTP at all. */
async function startServer(
  design: Design,
  databaseUrl: string,
  poolMax: number,
): Promise<RunningServer> {
  const port = await freePort();
  const child = spawn(process.execPath, [design.main], {
    env: {
      ...process.env,
      ...design.env,
      DATABASE_URL: databaseUrl,
      DB_POOL_MAX: String(poolMax),
      PORT: String(port),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  for (const stream of [child.stdout, child.stderr]) {
    stream.on('data', (chunk: Buffer) => (output += chunk.toString()));
  }
  const exited = once(child, 'exit');
  const running = () => child.exitCode === null && child.signalCode === null;
  const server = {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    stop: async () => {
      if (running()) {
        child.kill();
      }
      await exited;
    },
  };
  const answers = () =>
    fetch(server.url, { method: 'HEAD' }).then(Boolean, () => false);
  for (const started = Date.now(); !(await answers()); await sleep(100)) {
    if (!running() || Date.now() - started > 60_000) {
      await server.stop();
      throw new Error(`${design.name} did not start:\n${output}`);
    }
  }
  return server;
}

const liveDatabases = new Set<TestDatabase>();

/** On an interrupt: drops the database of the scenario in progress. */
export async function dropLiveDatabases(): Promise<void> {
  await Promise.all([...liveDatabases].map((database) => database.drop()));
}

/** A fresh database and the design's server on it, for `use`; both gone afterwards. */
async function onFreshServer<T>(
  design: Design,
  bench: BenchServer,
  poolMax: number,
  use: (server: RunningServer, database: TestDatabase) => Promise<T>,
): Promise<T> {
  const database = await createTestDatabase({
    server: bench.url,
    prefix: 'balance_bench_',
  });
  liveDatabases.add(database);
  try {
    const server = await startServer(design, database.url, poolMax);
    try {
      return await use(server, database);
    } finally {
      await server.stop();
    }
  } finally {
    liveDatabases.delete(database);
    await database.drop();
  }
}

/** `count` new users with `balance` each: their ids. */
async function openAccounts(
  design: Design,
  database: TestDatabase,
  balance: number,
  count: number,
): Promise<number[]> {
  const users =
    'INSERT INTO users (balance) SELECT $1 FROM generate_series(1, $2)';
  const rows = await database.query<{ id: number }>(
    design.ledger
      ? `WITH created AS (${users} RETURNING id, balance)
         INSERT INTO balance_transactions (user_id, amount, balance_after, type)
         SELECT id, balance, balance, 'opening' FROM created RETURNING user_id AS id`
      : `${users} RETURNING id`,
    [balance, count],
  );
  return rows.map((row) => row.id);
}

/** Fails the whole benchmark: a fast wrong answer is not a result. */
function expect(design: Design, what: string, ok: boolean, actual: unknown) {
  if (!ok) {
    throw new Error(`${design.name}: ${what}: ${JSON.stringify(actual)}`);
  }
}

export interface ScenarioOptions {
  requests: number;
  spread: SpreadOptions;
}

/**
 * The burst: `requests` debits of 2 at once at one user with a balance of `requests`, of
 * which exactly half must be applied and half refused. The spread: `users` users with 10000
 * each, credits and debits of 1 on random users over keep-alive connections, each answered
 * 200 or 409 INSUFFICIENT_FUNDS. Then, once the server and its sessions are gone (a statement
 * it sent last may commit until then), every balance must be what the answers say (after the
 * burst: 0), and the ledger of a build of the service must sum to every balance.
 */
export function measureScenario(
  design: Design,
  load: 'burst' | 'spread',
  { requests, spread }: ScenarioOptions,
  bench: BenchServer,
  poolMax: number,
): Promise<Sample> {
  return onFreshServer(design, bench, poolMax, async (server, database) => {
    const [opening, users] =
      load === 'burst' ? [requests, 1] : [10_000, spread.users];
    const ids = await openAccounts(design, database, opening, users);
    const cpuBefore = processCpuMs(server.pid);
    const result = await (load === 'burst'
      ? burstLoad(server.url, ids[0], requests)
      : spreadLoad(server.url, ids, spread));
    const cpuMs = processCpuMs(server.pid) - cpuBefore;
    const { counts } = result;
    const {
      '200': applied,
      '409 INSUFFICIENT_FUNDS': refused,
      ...other
    } = counts;
    const half = load === 'burst' && requests / 2;
    const exact = half === false || (applied === half && refused === half);
    expect(design, 'answers', exact && !Object.keys(other).length, counts);
    // Read once the answers show that the server lived through the load: a dead one has none.
    const peakRss = peakRssMb(server.pid);
    await server.stop();
    const sessions = () =>
      database.query<{ count: number }>(
        `SELECT count(*)::int FROM pg_stat_activity
         WHERE datname = current_database() AND pid <> pg_backend_pid()`,
      );
    for (let wait = 0; (await sessions())[0].count > 0; wait++) {
      expect(design, 'sessions left after 10 s', wait < 200, wait);
      await sleep(50);
    }
    const balances = await database.query<{ id: number; balance: number }>(
      'SELECT id, balance FROM users WHERE id = ANY($1)',
      [ids],
    );
    expectBalances(design.name, opening, balances, result);
    if (design.ledger) {
      const [{ mismatched }] = await database.query<{ mismatched: number }>(
        `SELECT count(*)::int AS mismatched
         FROM users LEFT JOIN (
           SELECT user_id, sum(amount) AS total FROM balance_transactions GROUP BY user_id
         ) ledger ON ledger.user_id = users.id
         WHERE users.balance IS DISTINCT FROM ledger.total`,
      );
      expect(design, 'balances off the ledger', !mismatched, mismatched);
    }
    const cutOff = { 'cut off at the end': result.cutOff.length };
    return {
      wallMs: result.wallMs,
      requests: result.requests,
      counts: load === 'spread' ? { ...counts, ...cutOff } : counts,
      p50Ms: result.p50Ms,
      p99Ms: result.p99Ms,
      cpuMs,
      peakRssMb: peakRss,
    };
  });
}

/**
 * The as-of read: `GET /users/1/balance?at=` at random moments across `entries` balance
 * transactions (credits of 1, a millisecond apart); each answer must be the balance then.
 */
export function measureAsOf(
  design: Design,
  entries: number,
  bench: BenchServer,
  poolMax: number,
): Promise<{ p50Ms: number; p99Ms: number }> {
  return onFreshServer(design, bench, poolMax, async (server, database) => {
    const [{ opened }] = await database.query<{ opened: Date }>(
      `WITH o AS (SELECT created_at FROM balance_transactions WHERE user_id = 1),
       _ AS (INSERT INTO balance_transactions (user_id, amount, balance_after, version, type, created_at)
             SELECT 1, 1, 10000 + g, g + 1, 'credit', o.created_at + g * interval '1 ms'
             FROM generate_series(1, $1::int) g, o),
       __ AS (UPDATE users SET balance = 10000 + $1::bigint WHERE id = 1)
       SELECT created_at AS opened FROM o`,
      [entries],
    );
    await database.query('ANALYZE balance_transactions');
    const latencies: number[] = [];
    for (let read = 0; read < 1000; read++) {
      const step = Math.floor(Math.random() * entries);
      const at = new Date(opened.getTime() + step).toISOString();
      const started = performance.now();
      const response = await fetch(`${server.url}/users/1/balance?at=${at}`);
      const { balance } = (await response.json()) as { balance: number };
      latencies.push(performance.now() - started);
      expect(design, 'as-of balance', balance === 10000 + step, {
        at,
        balance,
      });
    }
    latencies.sort((a, b) => a - b);
    return {
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
    };
  });
}
