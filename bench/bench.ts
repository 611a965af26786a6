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
  databaseFloor,
  dropLiveDatabases,
  designBurst,
  designSpread,
  NEST_FLOOR,
  rawHttpFloor,
  REFERENCE,
  REFERENCE_IN_TRANSACTION,
  type Sample,
  serviceBurst,
  serviceSpread,
} from './scenarios';
import type { SpreadOptions } from './spread-load';
import { median, percentile } from './stats';

const ROOT = join(__dirname, '..');
const MAIN = join(ROOT, 'dist', 'main.js');

const USAGE = `npm run bench -- [options]
  --runs N                runs per scenario; every figure is the median (default 3)
  --requests N            debits per burst, even (default 10000)
  --spread-users N        users in the spread workload (default 1000)
  --spread-connections N  keep-alive connections of its load generator (default 100)
  --spread-seconds N      how long it lasts (default 10)
  --json PATH             where the numbers go (default bench/results/latest.json)
  --svg PATH              where the latency chart goes (default bench/latency.svg)
Uses DATABASE_URL's server if set (it creates and drops balance_bench_* databases there),
else an embedded PostgreSQL in a temporary directory. DB_POOL_MAX is the pool of the service,
of the reference server and of the database floor alike.`;

interface Options {
  runs: number;
  requests: number;
  spread: SpreadOptions;
  json: string;
  svg: string;
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '3' },
      requests: { type: 'string', default: '10000' },
      'spread-users': { type: 'string', default: '1000' },
      'spread-connections': { type: 'string', default: '100' },
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
      connections: positive('spread-connections'),
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
  /** Its name in the latency chart, if its distribution is drawn there. */
  chartLabel?: string;
  measure(): Promise<Sample>;
}

/** One scenario's figures, each the median over the runs. */
interface Summary {
  key: string;
  label: string;
  wallMs: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** CPU time of the HTTP server process(es) under test ÷ requests. */
  appCpuMsPerRequest: number | null;
  /** CPU time of the whole PostgreSQL server ÷ requests. */
  postgresCpuMsPerRequest: number | null;
  peakRssMb: number | null;
  /** The outcome counts of the median run (by wall time). */
  counts: Record<string, number>;
  wallMsPerRun: number[];
}

function medianOrNull(values: (number | undefined)[]): number | null {
  const defined = values.filter((value) => value !== undefined);
  return defined.length ? median(defined) : null;
}

function maxOrNull(values: (number | null)[]): number | null {
  const defined = values.filter((value) => value !== null);
  return defined.length ? Math.max(...defined) : null;
}

/** The run whose wall time is the median: its latencies are the ones drawn. */
function medianRun(samples: Sample[]): Sample {
  const sorted = [...samples].sort((a, b) => a.wallMs - b.wallMs);
  return sorted[Math.ceil(sorted.length / 2) - 1];
}

function summarize(scenario: Scenario, samples: Sample[]): Summary {
  const of = (figure: (sample: Sample) => number) =>
    median(samples.map(figure));
  const perRequest = (cpuMs: number | undefined, sample: Sample) =>
    cpuMs === undefined ? undefined : cpuMs / sample.requests;
  return {
    key: scenario.key,
    label: scenario.label,
    wallMs: of((s) => s.wallMs),
    requestsPerSecond: of((s) => s.requests / (s.wallMs / 1000)),
    p50Ms: of((s) => s.p50Ms),
    p99Ms: of((s) => s.p99Ms),
    appCpuMsPerRequest: medianOrNull(
      samples.map((s) => perRequest(s.appCpuMs, s)),
    ),
    postgresCpuMsPerRequest: medianOrNull(
      samples.map((s) => perRequest(s.postgresCpuMs, s)),
    ),
    peakRssMb: medianOrNull(samples.map((s) => s.peakRssMb)),
    counts: medianRun(samples).counts,
    wallMsPerRun: samples.map((s) => s.wallMs),
  };
}

function markdownTable(header: string[], rows: string[][]): string {
  return [header, header.map(() => '---'), ...rows]
    .map((cells) => `| ${cells.join(' | ')} |`)
    .join('\n');
}

const fixed = (digits: number) => (value: number | null) =>
  value === null ? '-' : value.toFixed(digits);

function formatTable(summaries: Summary[]): string {
  return markdownTable(
    [
      'scenario',
      'wall s',
      'req/s',
      'p50 ms',
      'p99 ms',
      'app CPU ms/req',
      'PostgreSQL CPU ms/req',
      'peak RSS MB',
      'outcomes (median run)',
    ],
    summaries.map((s) => [
      s.label,
      fixed(2)(s.wallMs / 1000),
      fixed(0)(s.requestsPerSecond),
      fixed(0)(s.p50Ms),
      fixed(0)(s.p99Ms),
      fixed(3)(s.appCpuMsPerRequest),
      fixed(3)(s.postgresCpuMsPerRequest),
      fixed(0)(s.peakRssMb),
      Object.entries(s.counts)
        .map(([kind, count]) => `${kind}: ${count}`)
        .join(', '),
    ]),
  );
}

interface Ratio {
  name: string;
  value: number | null;
  /** The bound the issue sets, if any. */
  target?: { atMost: number } | { atLeast: number };
  met?: boolean;
}

/** A ratio of two figures, null when either is missing. */
function ratio(
  numerator: number | null,
  denominator: number | null,
): number | null {
  return numerator === null || denominator === null
    ? null
    : numerator / denominator;
}

function withTarget(ratio: Ratio): Ratio {
  const { value, target } = ratio;
  if (value === null || target === undefined) {
    return ratio;
  }
  return {
    ...ratio,
    met: 'atMost' in target ? value <= target.atMost : value >= target.atLeast,
  };
}

function formatRatios(ratios: Ratio[]): string {
  return markdownTable(
    ['ratio', 'value', 'target', 'met'],
    ratios.map(({ name, value, target, met }) => [
      name,
      fixed(2)(value),
      target === undefined
        ? ''
        : 'atMost' in target
          ? `≤ ${target.atMost}`
          : `≥ ${target.atLeast}`,
      met === undefined ? '' : met ? 'yes' : 'no',
    ]),
  );
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
    const spreadLabel = `spread: ${spread.users} users, ${spread.connections} connections, ${spread.seconds} s`;
    // Each design next to the other, so that they share a moment of the machine.
    const scenarios: Scenario[] = [
      {
        key: 'serviceBurst',
        label: 'service, 1 instance: burst',
        chartLabel: 'service, 1 instance',
        measure: () => serviceBurst(server, 1, requests, poolMax),
      },
      {
        key: 'referenceBurst',
        label: 'reference: burst',
        chartLabel: 'reference',
        measure: () => designBurst(REFERENCE, server, requests, poolMax),
      },
      {
        key: 'referenceInTransactionBurst',
        label: 'reference in a managed transaction: burst',
        measure: () =>
          designBurst(REFERENCE_IN_TRANSACTION, server, requests, poolMax),
      },
      {
        key: 'nestFloorBurst',
        label: 'Nest floor: burst',
        chartLabel: 'Nest floor',
        measure: () => designBurst(NEST_FLOOR, server, requests, poolMax),
      },
      {
        key: 'rawHttp',
        label: 'raw HTTP floor: burst',
        chartLabel: 'raw HTTP floor',
        measure: () => rawHttpFloor(server, requests),
      },
      {
        key: 'databaseFloor',
        label: 'database floor (service SQL): burst',
        chartLabel: 'database floor (service SQL)',
        measure: () => databaseFloor(server, requests, poolMax),
      },
      {
        key: 'service2Burst',
        label: 'service, 2 instances: burst',
        measure: () => serviceBurst(server, 2, requests, poolMax),
      },
      {
        key: 'serviceSpread',
        label: `service, 1 instance: ${spreadLabel}`,
        measure: () => serviceSpread(server, spread, poolMax),
      },
      {
        key: 'referenceSpread',
        label: `reference: ${spreadLabel}`,
        measure: () => designSpread(REFERENCE, server, spread, poolMax),
      },
      {
        key: 'nestFloorSpread',
        label: `Nest floor: ${spreadLabel}`,
        measure: () => designSpread(NEST_FLOOR, server, spread, poolMax),
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
    const of = (key: string) =>
      summaries.find((summary) => summary.key === key)!;
    const [service, reference] = [of('serviceBurst'), of('referenceBurst')];
    const [serviceSpreading, referenceSpreading] = [
      of('serviceSpread'),
      of('referenceSpread'),
    ];
    const referenceInTransaction = of('referenceInTransactionBurst');
    const [nestFloor, nestFloorSpreading] = [
      of('nestFloorBurst'),
      of('nestFloorSpread'),
    ];
    const ratios: Ratio[] = [
      {
        name: 'app CPU per request, service ÷ reference: burst',
        value: ratio(service.appCpuMsPerRequest, reference.appCpuMsPerRequest),
        target: { atMost: 1.2 },
      },
      {
        name: 'app CPU per request, service ÷ reference: spread',
        value: ratio(
          serviceSpreading.appCpuMsPerRequest,
          referenceSpreading.appCpuMsPerRequest,
        ),
        target: { atMost: 2 },
      },
      {
        name: 'wall time, service ÷ reference: burst',
        value: ratio(service.wallMs, reference.wallMs),
        target: { atMost: 1.2 },
      },
      {
        name: 'throughput, service ÷ reference: spread',
        value: ratio(
          serviceSpreading.requestsPerSecond,
          referenceSpreading.requestsPerSecond,
        ),
        target: { atLeast: 0.5 },
      },
      {
        name: 'peak RSS of one instance, MB (not a ratio): burst or spread',
        value: maxOrNull([service.peakRssMb, serviceSpreading.peakRssMb]),
        target: { atMost: 256 },
      },
      {
        name: 'PostgreSQL CPU per request, service ÷ reference: burst',
        value: ratio(
          service.postgresCpuMsPerRequest,
          reference.postgresCpuMsPerRequest,
        ),
      },
      {
        name: 'PostgreSQL CPU per request, service ÷ reference: spread',
        value: ratio(
          serviceSpreading.postgresCpuMsPerRequest,
          referenceSpreading.postgresCpuMsPerRequest,
        ),
      },
      {
        name: 'app CPU per request, reference in a managed transaction ÷ reference: burst',
        value: ratio(
          referenceInTransaction.appCpuMsPerRequest,
          reference.appCpuMsPerRequest,
        ),
      },
      {
        name: 'wall time, reference in a managed transaction ÷ reference: burst',
        value: ratio(referenceInTransaction.wallMs, reference.wallMs),
      },
      {
        name: 'app CPU per request, Nest floor ÷ reference: burst',
        value: ratio(
          nestFloor.appCpuMsPerRequest,
          reference.appCpuMsPerRequest,
        ),
      },
      {
        name: 'app CPU per request, Nest floor ÷ reference: spread',
        value: ratio(
          nestFloorSpreading.appCpuMsPerRequest,
          referenceSpreading.appCpuMsPerRequest,
        ),
      },
      {
        name: 'wall time, Nest floor ÷ reference: burst',
        value: ratio(nestFloor.wallMs, reference.wallMs),
      },
      {
        name: 'app CPU per request, service ÷ Nest floor: burst',
        value: ratio(service.appCpuMsPerRequest, nestFloor.appCpuMsPerRequest),
      },
      {
        name: 'app CPU per request, service ÷ Nest floor: spread',
        value: ratio(
          serviceSpreading.appCpuMsPerRequest,
          nestFloorSpreading.appCpuMsPerRequest,
        ),
      },
      {
        name: 'wall time, service ÷ raw HTTP floor: burst',
        value: ratio(service.wallMs, of('rawHttp').wallMs),
      },
      {
        name: 'wall time, service ÷ its database floor: burst',
        value: ratio(service.wallMs, of('databaseFloor').wallMs),
      },
    ].map(withTarget);
    const machine = {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      memoryGb: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      postgres: await serverVersion(server.url),
      postgresServer: server.embedded ? 'embedded' : 'DATABASE_URL',
    };

    console.log(
      `\nburst: ${requests} debits of 2 at once on one hot account; ${spreadLabel}, credits and debits of 1; ` +
        `medians of ${options.runs} run(s); ${machine.cpus} CPUs, PostgreSQL ${machine.postgres} ` +
        `(${machine.postgresServer}), pool ${poolMax}\n`,
    );
    console.log(formatTable(summaries));
    console.log(`\n${formatRatios(ratios)}\n`);

    const series = scenarios.flatMap(({ key, chartLabel }) =>
      chartLabel === undefined
        ? []
        : [
            {
              label: chartLabel,
              latenciesMs: medianRun(samples.get(key)!).latenciesMs ?? [],
            },
          ],
    );
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
