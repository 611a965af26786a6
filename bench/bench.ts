import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { Client } from 'pg';
import { validateEnvironment } from '../src/config/environment';
import { latencyCdfSvg } from './chart';
import { startBenchServer } from './postgres';
import {
  DEBITS,
  databaseFloor,
  dropLiveDatabases,
  rawHttpFloor,
  type Sample,
  serviceBurst,
  spreadWorkload,
} from './scenarios';
import { median, percentile } from './stats';

const ROOT = join(__dirname, '..');
const MAIN = join(ROOT, 'dist', 'main.js');

const USAGE = `npm run bench -- [options]
  --runs N            runs per scenario; every figure is the median (default 3)
  --requests N        debits per burst, even (default 10000)
  --spread-users N    users in the spread workload (default 1000)
  --spread-clients N  concurrent keep-alive clients in it (default 200)
  --spread-seconds N  how long it lasts (default 10)
  --json PATH         where the numbers go (default bench/results/latest.json)
  --svg PATH          where the latency chart goes (default bench/latency.svg)
Uses DATABASE_URL's server if set (it creates and drops balance_bench_* databases there),
else an embedded PostgreSQL in a temporary directory. DB_POOL_MAX is the pool of the service
and of the database floors alike.`;

interface Options {
  runs: number;
  requests: number;
  spread: { users: number; clients: number; seconds: number };
  json: string;
  svg: string;
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '3' },
      requests: { type: 'string', default: '10000' },
      'spread-users': { type: 'string', default: '1000' },
      'spread-clients': { type: 'string', default: '200' },
      'spread-seconds': { type: 'string', default: '10' },
      json: { type: 'string', default: 'bench/results/latest.json' },
      svg: { type: 'string', default: 'bench/latency.svg' },
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
  return {
    runs: positive('runs'),
    requests,
    spread: {
      users: positive('spread-users'),
      clients: positive('spread-clients'),
      seconds: positive('spread-seconds'),
    },
    json: values.json,
    svg: values.svg,
  };
}

/** Builds the service when `dist/main.js` is missing or older than a file under `src/`. */
async function ensureBuild(): Promise<void> {
  const built = existsSync(MAIN) ? statSync(MAIN).mtimeMs : 0;
  const sources = await readdir(join(ROOT, 'src'), { recursive: true });
  const stale = await Promise.all(
    sources.map(
      async (file) => (await stat(join(ROOT, 'src', file))).mtimeMs > built,
    ),
  );
  if (!stale.includes(true)) {
    return;
  }
  console.error('Building the service (nest build)...');
  const nest = require.resolve('@nestjs/cli/bin/nest.js');
  const { status } = spawnSync(process.execPath, [nest, 'build'], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  if (status !== 0) {
    throw new Error('nest build failed');
  }
}

interface Scenario {
  key: string;
  label: string;
  /** Whether its latency distribution is drawn in the chart. */
  charted: boolean;
  measure(): Promise<Sample>;
}

/** One scenario's figures, each the median over the runs. */
interface Summary {
  key: string;
  label: string;
  wallMs: number;
  requestsPerSecond: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
  connectP99Ms: number | null;
  peakRssMb: number | null;
  /** The outcome counts of the median run (by wall time). */
  counts: Record<string, number>;
  wallMsPerRun: number[];
}

function medianOrNull(values: (number | undefined)[]): number | null {
  const defined = values.filter((value) => value !== undefined);
  return defined.length ? median(defined) : null;
}

/** The run whose wall time is the median: its latencies are the ones drawn. */
function medianRun(samples: Sample[]): Sample {
  const sorted = [...samples].sort((a, b) => a.wallMs - b.wallMs);
  return sorted[Math.ceil(sorted.length / 2) - 1];
}

function summarize(scenario: Scenario, samples: Sample[]): Summary {
  const of = (figure: (sample: Sample) => number) =>
    median(samples.map(figure));
  return {
    key: scenario.key,
    label: scenario.label,
    wallMs: of((s) => s.wallMs),
    requestsPerSecond: of((s) => s.requests / (s.wallMs / 1000)),
    p50Ms: of((s) => percentile(s.latenciesMs, 50)),
    p95Ms: of((s) => percentile(s.latenciesMs, 95)),
    p99Ms: of((s) => percentile(s.latenciesMs, 99)),
    maxMs: of((s) => s.latenciesMs.at(-1) ?? NaN),
    connectP99Ms: medianOrNull(
      samples.map((s) =>
        s.connectMs.length ? percentile(s.connectMs, 99) : undefined,
      ),
    ),
    peakRssMb: medianOrNull(samples.map((s) => s.peakRssMb)),
    counts: medianRun(samples).counts,
    wallMsPerRun: samples.map((s) => s.wallMs),
  };
}

function formatTable(summaries: Summary[]): string {
  const ms = (value: number | null) =>
    value === null ? '-' : value.toFixed(0);
  const header = [
    'scenario',
    'wall s',
    'req/s',
    'p50 ms',
    'p95 ms',
    'p99 ms',
    'max ms',
    'connect p99 ms',
    'peak RSS MB',
    'outcomes (median run)',
  ];
  const rows = summaries.map((s) => [
    s.label,
    (s.wallMs / 1000).toFixed(2),
    s.requestsPerSecond.toFixed(0),
    ms(s.p50Ms),
    ms(s.p95Ms),
    ms(s.p99Ms),
    ms(s.maxMs),
    ms(s.connectP99Ms),
    ms(s.peakRssMb),
    Object.entries(s.counts)
      .map(([kind, count]) => `${kind}: ${count}`)
      .join(', '),
  ]);
  return [header, header.map(() => '---'), ...rows]
    .map((cells) => `| ${cells.join(' | ')} |`)
    .join('\n');
}

async function serverVersion(url: string): Promise<string> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ server_version: string }>(
      'SHOW server_version',
    );
    return rows[0].server_version;
  } finally {
    await client.end();
  }
}

async function main(): Promise<void> {
  const options = parseOptions();
  // The service's own pool size, read as the service reads it.
  const poolMax = validateEnvironment(process.env).DB_POOL_MAX;
  await ensureBuild();
  const server = await startBenchServer();
  // Ctrl-C reaches the child processes too; what is left is the data and the server.
  process.once('SIGINT', () => {
    void dropLiveDatabases()
      .finally(() => server.stop())
      .finally(() => process.exit(130));
  });
  try {
    const { requests, spread } = options;
    const scenarios: Scenario[] = [
      {
        key: 'service1',
        label: 'service, 1 instance',
        charted: true,
        measure: () => serviceBurst(server.url, 1, requests, poolMax),
      },
      {
        key: 'service2',
        label: 'service, 2 instances',
        charted: false,
        measure: () => serviceBurst(server.url, 2, requests, poolMax),
      },
      {
        key: 'rawHttp',
        label: 'raw HTTP floor',
        charted: true,
        measure: () => rawHttpFloor(requests),
      },
      {
        key: 'databaseFloor',
        label: 'database floor (service SQL)',
        charted: true,
        measure: () =>
          databaseFloor(server.url, DEBITS.service, requests, poolMax),
      },
      {
        key: 'bareUpdateFloor',
        label: 'bare-UPDATE floor',
        charted: false,
        measure: () =>
          databaseFloor(server.url, DEBITS.bareUpdate, requests, poolMax),
      },
      {
        key: 'spread',
        label: `spread: ${spread.users} users, ${spread.clients} clients, ${spread.seconds} s`,
        charted: false,
        measure: () => spreadWorkload(server.url, spread, poolMax),
      },
    ];
    const samples = new Map<string, Sample[]>(
      scenarios.map(({ key }) => [key, []]),
    );
    const started = performance.now();
    // Runs interleave the scenarios, so that a slow moment of the machine is shared out.
    for (let run = 1; run <= options.runs; run++) {
      for (const scenario of scenarios) {
        const sample = await scenario.measure();
        samples.get(scenario.key)!.push(sample);
        console.error(
          `run ${run}/${options.runs}  ${scenario.label}: ${(sample.wallMs / 1000).toFixed(2)} s`,
        );
      }
    }
    const summaries = scenarios.map((scenario) =>
      summarize(scenario, samples.get(scenario.key)!),
    );
    const wall = (key: string) =>
      summaries.find((summary) => summary.key === key)!.wallMs;
    const ratios = {
      serviceOverRawHttp: wall('service1') / wall('rawHttp'),
      serviceOverDatabaseFloor: wall('service1') / wall('databaseFloor'),
      databaseFloorOverBareUpdate:
        wall('databaseFloor') / wall('bareUpdateFloor'),
    };
    const machine = {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      memoryGb: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      postgres: await serverVersion(server.url),
      postgresServer: server.embedded ? 'embedded' : 'DATABASE_URL',
    };

    console.log(
      `\n${requests} debits of 2 on one hot account; medians of ${options.runs} run(s); ` +
        `${machine.cpus} CPUs, PostgreSQL ${machine.postgres} (${machine.postgresServer}), pool ${poolMax}\n`,
    );
    console.log(formatTable(summaries));
    console.log(`
service ÷ raw HTTP floor:           ${ratios.serviceOverRawHttp.toFixed(2)}
service ÷ its database floor:       ${ratios.serviceOverDatabaseFloor.toFixed(2)}
database floor ÷ bare-UPDATE floor: ${ratios.databaseFloorOverBareUpdate.toFixed(2)}
(wall times, 1 instance)`);

    const charted = scenarios.filter((scenario) => scenario.charted);
    const series = charted.map((scenario) => ({
      label: scenario.label,
      latenciesMs: medianRun(samples.get(scenario.key)!).latenciesMs,
    }));
    const svg = latencyCdfSvg(
      `${requests} simultaneous debits on one account: latency distribution (median run)`,
      series,
    );
    const results = {
      date: new Date().toISOString(),
      machine,
      options: { ...options, poolMax },
      totalSeconds: (performance.now() - started) / 1000,
      scenarios: summaries,
      ratios,
      // The charted distributions as percentiles 0..100, to redraw or compare them.
      latencyPercentilesMs: Object.fromEntries(
        series.map(({ label, latenciesMs }) => [
          label,
          Array.from({ length: 101 }, (_, p) => percentile(latenciesMs, p)),
        ]),
      ),
    };
    for (const [path, content] of [
      [options.json, `${JSON.stringify(results, null, 2)}\n`],
      [options.svg, svg],
    ]) {
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, content);
      console.log(`wrote ${relative(process.cwd(), path)}`);
    }
  } finally {
    await server.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
