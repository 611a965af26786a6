import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { validateEnvironment } from '../src/config/environment';
import { databaseAt } from '../test/utils/test-database';
import { startBenchServer } from './postgres';
import {
  type Design,
  dropLiveDatabases,
  measureAsOf,
  measureScenario,
  referenceDesign,
  type Sample,
  serviceBuild,
} from './scenarios';
import { median } from './stats';

const USAGE = `npm run bench -- [options]
  --runs N                runs of every scenario; every figure is the median (default 3)
  --requests N            debits in the burst, even (default 10000)
  --spread-users N        users in the spread (default 1000)
  --spread-connections N  keep-alive connections of its load generator (default 100)
  --spread-seconds N      how long it lasts (default 10)
  --baseline PATH         another build's dist/main.js, run in the same runs and compared
Uses DATABASE_URL's server if set (it creates and drops balance_bench_* databases there),
else an embedded PostgreSQL in a temporary directory. DB_POOL_MAX is the pool of every
server alike. The tables go to stdout, the progress to stderr.`;

function parseOptions() {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '3' },
      requests: { type: 'string', default: '10000' },
      'spread-users': { type: 'string', default: '1000' },
      'spread-connections': { type: 'string', default: '100' },
      'spread-seconds': { type: 'string', default: '10' },
      baseline: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const positive = (name: keyof typeof values) => {
    const value = Number(values[name]);
    if (!Number.isInteger(value) || value < 1) {
      throw new Error(`--${name} must be a positive integer\n\n${USAGE}`);
    }
    return value;
  };
  const requests = positive('requests');
  if (requests % 2 !== 0) {
    throw new Error('--requests must be even: half applied, half refused');
  }
  const baseline = values.baseline && resolve(values.baseline);
  if (baseline !== undefined && !existsSync(baseline)) {
    throw new Error(`--baseline: no ${baseline}; build it first`);
  }
  return {
    runs: positive('runs'),
    requests,
    spread: {
      users: positive('spread-users'),
      connections: positive('spread-connections'),
      seconds: positive('spread-seconds'),
    },
    baseline,
  };
}

const LOADS = ['burst', 'spread'] as const;
type Load = (typeof LOADS)[number];

/** A scenario's figures, each the median over its runs. */
function summarize(samples: Sample[]) {
  const of = (figure: (sample: Sample) => number) =>
    median(samples.map(figure));
  const byWall = [...samples].sort((a, b) => a.wallMs - b.wallMs);
  return {
    wallMs: of((s) => s.wallMs),
    requestsPerSecond: of((s) => s.requests / (s.wallMs / 1000)),
    p50Ms: of((s) => s.p50Ms),
    p99Ms: of((s) => s.p99Ms),
    cpuMsPerRequest: of((s) => s.cpuMs / s.requests),
    peakRssMb: of((s) => s.peakRssMb),
    /** Those of the run of median wall time. */
    counts: byWall[Math.ceil(byWall.length / 2) - 1].counts,
  };
}
type Summary = ReturnType<typeof summarize>;

const METRICS = {
  'app CPU per request': (s: Summary) => s.cpuMsPerRequest,
  'wall time': (s: Summary) => s.wallMs,
  throughput: (s: Summary) => s.requestsPerSecond,
  'peak RSS': (s: Summary) => s.peakRssMb,
};

type Target = { atMost: number } | { atLeast: number };
/** A metric of design `a` ÷ the same of design `b`, on a load, with its target if it has one. */
type Comparison = [a: string, b: string, keyof typeof METRICS, Load, Target?];

const REFERENCE = 'reference';
const IN_TRANSACTION = 'reference in a managed transaction';
const NEST_FLOOR = 'Nest floor';

/** The burst's CPU per request and wall time, and the spread's CPU per request. */
const gap = (a: string, b: string): Comparison[] => [
  [a, b, 'app CPU per request', 'burst'],
  [a, b, 'wall time', 'burst'],
  [a, b, 'app CPU per request', 'spread'],
];

const COMPARISONS: Comparison[] = [
  ['service', REFERENCE, 'app CPU per request', 'burst', { atMost: 1.2 }],
  ['service', REFERENCE, 'app CPU per request', 'spread', { atMost: 2 }],
  ['service', REFERENCE, 'wall time', 'burst', { atMost: 1.2 }],
  ['service', REFERENCE, 'throughput', 'spread', { atLeast: 0.5 }],
  ...gap('service', IN_TRANSACTION),
  ...gap('service', NEST_FLOOR),
  // What the managed transaction alone, then with it the service's stack, cost the reference.
  ...gap(IN_TRANSACTION, REFERENCE),
  ...gap(NEST_FLOOR, REFERENCE),
];

const BASELINE_COMPARISONS: Comparison[] = [
  ...gap('service', 'baseline'),
  ...LOADS.flatMap((load): Comparison[] => [
    ['service', 'baseline', 'peak RSS', load],
  ]),
];

const fixed = (digits: number) => (value: number) => value.toFixed(digits);

function markdownTable(header: string, rows: string[][]): string {
  const cells = header.split(' | ');
  return [cells, cells.map(() => '---'), ...rows]
    .map((row) => `| ${row.join(' | ')} |`)
    .join('\n');
}

/** The value, then its target and whether it is met. */
function withTarget(value: number, target?: Target): string[] {
  if (target === undefined) {
    return [fixed(2)(value), '', ''];
  }
  const [bound, met] =
    'atMost' in target
      ? [`≤ ${target.atMost}`, value <= target.atMost]
      : [`≥ ${target.atLeast}`, value >= target.atLeast];
  return [fixed(2)(value), bound, met ? 'yes' : 'no'];
}

async function main(): Promise<void> {
  const options = parseOptions();
  // The service's own pool size, read as the service reads it.
  const poolMax = validateEnvironment(process.env).DB_POOL_MAX;
  const bench = await startBenchServer();
  // Ctrl-C reaches the child processes too; what is left is the data and the server.
  process.once('SIGINT', () => {
    void dropLiveDatabases()
      .finally(() => bench.stop())
      .finally(() => process.exit(130));
  });
  try {
    // The baseline next to the service, so that the two share the moments of the machine.
    const designs: Design[] = [
      serviceBuild('service', join(__dirname, '..', 'dist', 'main.js')),
      ...(options.baseline ? [serviceBuild('baseline', options.baseline)] : []),
      referenceDesign(REFERENCE, 'reference-server'),
      referenceDesign(IN_TRANSACTION, 'reference-server', {
        REFERENCE_TRANSACTION: 'managed',
      }),
      referenceDesign(NEST_FLOOR, 'nest-floor-server'),
    ];
    const samples = new Map<string, Sample[]>();
    const started = performance.now();
    // Every design next to the others, every other run in the reverse order, so that a slow
    // moment of the machine, or a place in the order, is shared out.
    for (let run = 1; run <= options.runs; run++) {
      for (const load of LOADS) {
        for (const design of run % 2 ? designs : designs.toReversed()) {
          const sample = await measureScenario(
            design,
            load,
            options,
            bench,
            poolMax,
          );
          const key = `${design.name}: ${load}`;
          samples.set(key, [...(samples.get(key) ?? []), sample]);
          const seconds = (sample.wallMs / 1000).toFixed(2);
          console.error(`run ${run}/${options.runs}  ${key}: ${seconds} s`);
        }
      }
    }
    const minutes = (performance.now() - started) / 60_000;
    const summaries = new Map(
      [...samples].map(([key, runs]) => [key, summarize(runs)]),
    );
    const of = (name: string, load: Load) => summaries.get(`${name}: ${load}`)!;

    const [{ server_version: postgres }] = await databaseAt(bench.url).query<{
      server_version: string;
    }>('SHOW server_version');
    const { requests, spread: load, runs, baseline } = options;
    console.log(
      `\nburst: ${requests} debits of 2 at once on one account; spread: ${load.users} ` +
        `users, ${load.connections} connections, ${load.seconds} s, credits and debits of ` +
        `1; medians of ${runs} run(s), ${minutes.toFixed(1)} min; ${cpus().length} CPUs, ` +
        `Node ${process.version}, PostgreSQL ${postgres} ` +
        `(${bench.embedded ? 'embedded' : 'DATABASE_URL'}), pool ${poolMax}` +
        `${baseline ? `; baseline: ${baseline}` : ''}\n`,
    );
    const header =
      'scenario | wall s | req/s | p50 ms | p99 ms | app CPU ms/req | peak RSS MB | ' +
      'outcomes (median run)';
    const scenarioRows = [...summaries].map(([key, s]) => [
      key,
      fixed(2)(s.wallMs / 1000),
      ...[s.requestsPerSecond, s.p50Ms, s.p99Ms].map(fixed(0)),
      fixed(3)(s.cpuMsPerRequest),
      fixed(0)(s.peakRssMb),
      Object.entries(s.counts)
        .map(([kind, count]) => `${kind}: ${count}`)
        .join(', '),
    ]);
    console.log(markdownTable(header, scenarioRows));

    const ratioRows = [
      ...COMPARISONS,
      ...(baseline ? BASELINE_COMPARISONS : []),
    ].map(([a, b, metric, load, target]) => {
      const [x, y] = [a, b].map((name) => METRICS[metric](of(name, load)));
      return [`${metric}, ${a} ÷ ${b}: ${load}`, ...withTarget(x / y, target)];
    });
    const peak = Math.max(
      ...LOADS.map((load) => of('service', load).peakRssMb),
    );
    ratioRows.splice(4, 0, [
      'peak RSS of one instance, MB (not a ratio): burst or spread',
      ...withTarget(peak, { atMost: 256 }),
    ]);
    console.log(
      `\n${markdownTable('ratio | value | target | met', ratioRows)}\n`,
    );
    const asOf = await measureAsOf(designs[0], 100_000, bench, poolMax);
    console.log(
      `as-of read of one user's balance at 100000 balance transactions, 1000 reads: ` +
        `p50 ${asOf.p50Ms.toFixed(2)} ms, p99 ${asOf.p99Ms.toFixed(2)} ms\n`,
    );
  } finally {
    await bench.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
