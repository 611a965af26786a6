import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { freePort } from './free-port';
import { databaseAt, type Queryable } from './test-database';

/** Debian's PostgreSQL 15, which Debian's Patroni runs. */
const BIN_DIR = '/usr/lib/postgresql/15/bin';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** True where the failover test can run: Patroni, etcd, HAProxy and PostgreSQL 15, as root. */
export function hasPatroniCluster(): boolean {
  const installed = (command: string) => {
    try {
      execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  };
  return (
    process.getuid?.() === 0 &&
    ['patroni', 'etcd', 'haproxy'].every(installed) &&
    existsSync(join(BIN_DIR, 'postgres'))
  );
}

interface PatroniNode {
  name: string;
  pgPort: number;
  apiPort: number;
  dataDir: string;
  /** Patroni's process; the PostgreSQL it starts runs in a session of its own. */
  patroni: ChildProcess;
  /** Queries on the node itself, not through HAProxy. */
  database: Queryable;
}

export interface PatroniCluster {
  /** The one address clients use: HAProxy, which routes to the node whose `GET /primary` is 200. */
  url: string;
  nodes: PatroniNode[];
  /** The node that answers `GET /primary` with 200 now, if any. */
  leader(): Promise<PatroniNode | undefined>;
  /** Waits for a leader other than `not`, and for it to commit a write. */
  waitForWritableLeader(
    not: PatroniNode,
    timeoutMs: number,
  ): Promise<PatroniNode>;
  /** The node's PostgreSQL: the postmaster and its children (backends, WAL senders...). */
  postgresProcesses(node: PatroniNode): { pid: number; command: string }[];
  /** The machine dies: its Patroni and every PostgreSQL process of it, SIGKILLed at once. */
  killMachine(node: PatroniNode): void;
  /** Everything each process wrote, for a failing test. */
  logs(): string;
  /** Stops everything it started and removes its files; safe to call twice. */
  stop(): Promise<void>;
}

export interface ClusterOptions {
  /** Patroni's `synchronous_mode` and `synchronous_mode_strict`. */
  synchronous: boolean;
}

interface Started {
  process: ChildProcess;
  output: string[];
}

function start(
  name: string,
  command: string,
  args: string[],
  options: { uid?: number; gid?: number; env?: NodeJS.ProcessEnv } = {},
): Started {
  const child = spawn(command, args, {
    ...options,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    output.push(chunk.toString());
    // The last lines are the ones a failure needs.
    if (output.length > 400) output.splice(0, 100);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  child.on('error', (error) => output.push(`${name}: ${error.message}\n`));
  return { process: child, output };
}

async function httpStatus(url: string): Promise<number> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
    await response.arrayBuffer();
    return response.status;
  } catch {
    return 0;
  }
}

/** Polls `check` until it resolves with something other than undefined. */
export async function waitFor<T>(
  what: string,
  timeoutMs: number,
  check: () => Promise<T | undefined>,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await check().catch(() => undefined);
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await sleep(intervalMs);
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // An exited child of a process that is gone stays a zombie until init reaps it.
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

function signal(pids: number[], name: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, name);
    } catch {
      // Already gone.
    }
  }
}

function postmasterPid(dataDir: string): number | undefined {
  try {
    const pid = Number(
      readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0],
    );
    return pid > 0 && isRunning(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

function childrenOf(pid: number): { pid: number; command: string }[] {
  try {
    return execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(pid)])
      .toString()
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [, child, command] = /^\s*(\d+)\s+(.*)$/.exec(line)!;
        return { pid: Number(child), command };
      });
  } catch {
    // ps exits 1 when there are none.
    return [];
  }
}

/**
 * etcd, three Patroni-managed PostgreSQL 15 nodes and HAProxy in front of them, all on free
 * ports of 127.0.0.1, with their files under one temporary directory. Patroni (and so
 * PostgreSQL) runs as the `postgres` user. Timings are small so that a failover takes
 * seconds: the leader key lives 5 s, Patroni loops every second.
 */
export async function startPatroniCluster({
  synchronous,
}: ClusterOptions): Promise<PatroniCluster> {
  const root = await mkdtemp(join(tmpdir(), 'balance-failover-'));
  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString());
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString());
  await chown(root, uid, gid);
  const started: { name: string; started: Started }[] = [];
  const nodes: PatroniNode[] = [];
  let stopped = false;

  const stop = async () => {
    if (stopped) return;
    stopped = true;
    // Patroni first, so that none restarts its PostgreSQL; then an immediate shutdown of each.
    signal(
      started.map(({ started: s }) => s.process.pid!).filter(Boolean),
      'SIGKILL',
    );
    const postmasters = nodes
      .map((node) => postmasterPid(node.dataDir))
      .filter((pid): pid is number => pid !== undefined);
    const children = postmasters.flatMap((pid) =>
      childrenOf(pid).map((child) => child.pid),
    );
    signal(postmasters, 'SIGQUIT');
    const deadline = Date.now() + 5_000;
    while (
      [...postmasters, ...children].some(isRunning) &&
      Date.now() < deadline
    ) {
      await sleep(50);
    }
    signal([...postmasters, ...children].filter(isRunning), 'SIGKILL');
    await rm(root, { recursive: true, force: true });
  };

  try {
    const etcdClient = await freePort();
    const etcdPeer = await freePort();
    const etcd = start('etcd', 'etcd', [
      '--enable-v2=true',
      '--name=failover',
      `--data-dir=${join(root, 'etcd')}`,
      `--listen-client-urls=http://127.0.0.1:${etcdClient}`,
      `--advertise-client-urls=http://127.0.0.1:${etcdClient}`,
      `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-cluster=failover=http://127.0.0.1:${etcdPeer}`,
      '--logger=zap',
      '--log-level=warn',
    ]);
    started.push({ name: 'etcd', started: etcd });
    await waitFor('etcd', 10_000, async () =>
      (await httpStatus(`http://127.0.0.1:${etcdClient}/health`)) === 200
        ? true
        : undefined,
    );

    const scope = `balance-${process.pid}-${Date.now()}`;
    const startNode = async (index: number) => {
      const name = `node${index + 1}`;
      const pgPort = await freePort();
      const apiPort = await freePort();
      const dataDir = join(root, name);
      const config = {
        scope,
        name,
        log: { level: 'INFO' },
        restapi: {
          listen: `127.0.0.1:${apiPort}`,
          connect_address: `127.0.0.1:${apiPort}`,
        },
        etcd3: { hosts: [`127.0.0.1:${etcdClient}`] },
        bootstrap: {
          dcs: {
            ttl: 5,
            loop_wait: 1,
            retry_timeout: 2,
            // Asynchronous: lagging replicas may be promoted (that is the case it shows).
            maximum_lag_on_failover: synchronous ? 1048576 : 1073741824,
            synchronous_mode: synchronous,
            synchronous_mode_strict: synchronous,
            postgresql: {
              // A replica that received more than the new leader rejoins it rewound.
              use_pg_rewind: true,
              remove_data_directory_on_rewind_failure: true,
              remove_data_directory_on_diverged_timelines: true,
              use_slots: true,
              parameters: {
                max_connections: 100,
                max_wal_senders: 10,
                max_replication_slots: 10,
                wal_keep_size: '128MB',
                hot_standby: 'on',
                wal_log_hints: 'on',
                synchronous_commit: 'on',
                // The machine's death is simulated by killing processes: the page cache
                // survives, so fsync buys nothing here but disk load on a shared machine.
                fsync: 'off',
                wal_retrieve_retry_interval: '200ms',
                wal_receiver_status_interval: '1s',
              },
            },
          },
          initdb: [{ encoding: 'UTF8' }, { locale: 'C' }],
        },
        postgresql: {
          listen: `127.0.0.1:${pgPort}`,
          connect_address: `127.0.0.1:${pgPort}`,
          data_dir: dataDir,
          bin_dir: BIN_DIR,
          pgpass: join(root, `${name}.pgpass`),
          authentication: {
            superuser: { username: 'postgres' },
            replication: { username: 'replicator' },
            rewind: { username: 'postgres' },
          },
          pg_hba: [
            'local all all trust',
            'host all all 127.0.0.1/32 trust',
            'host replication all 127.0.0.1/32 trust',
          ],
          parameters: {
            unix_socket_directories: root,
            shared_buffers: '32MB',
          },
        },
      };
      const configFile = join(root, `${name}.yml`);
      // YAML is a superset of JSON.
      await writeFile(configFile, JSON.stringify(config, null, 2));
      await chown(configFile, uid, gid);
      const patroni = start(name, 'patroni', [configFile], {
        uid,
        gid,
        env: { PATH: process.env.PATH, HOME: root, LANG: 'C.UTF-8' },
      });
      started.push({ name, started: patroni });
      const node: PatroniNode = {
        name,
        pgPort,
        apiPort,
        dataDir,
        patroni: patroni.process,
        database: databaseAt(
          `postgres://postgres@127.0.0.1:${pgPort}/postgres`,
        ),
      };
      nodes.push(node);
      return node;
    };

    const first = await startNode(0);
    await waitFor(
      'the first node to lead',
      60_000,
      async () =>
        (await httpStatus(`http://127.0.0.1:${first.apiPort}/primary`)) === 200
          ? true
          : undefined,
      200,
    );
    await Promise.all([startNode(1), startNode(2)]);
    await waitFor(
      'both replicas to stream',
      60_000,
      async () => {
        const rows = await first.database.query<{ state: string }>(
          'SELECT sync_state FROM pg_stat_replication WHERE state = $1',
          ['streaming'],
        );
        return rows.length === 2 ? true : undefined;
      },
      200,
    );
    if (synchronous) {
      await waitFor(
        'a synchronous standby',
        30_000,
        async () => {
          const statuses = await Promise.all(
            nodes.map((node) =>
              httpStatus(`http://127.0.0.1:${node.apiPort}/sync`),
            ),
          );
          return statuses.includes(200) ? true : undefined;
        },
        200,
      );
    }

    const proxyPort = await freePort();
    const proxyConfig = join(root, 'haproxy.cfg');
    await writeFile(
      proxyConfig,
      [
        'global',
        '  maxconn 1000',
        'defaults',
        '  mode tcp',
        '  timeout connect 1s',
        '  timeout client 1h',
        '  timeout server 1h',
        '  timeout check 1s',
        'listen postgres',
        `  bind 127.0.0.1:${proxyPort}`,
        '  option httpchk GET /primary',
        '  http-check expect status 200',
        // A node that stops being the leader loses its sessions at once.
        '  default-server inter 300ms fall 2 rise 1 on-marked-down shutdown-sessions',
        ...nodes.map(
          (node) =>
            `  server ${node.name} 127.0.0.1:${node.pgPort} check port ${node.apiPort}`,
        ),
        '',
      ].join('\n'),
    );
    const haproxy = start('haproxy', 'haproxy', ['-db', '-f', proxyConfig]);
    started.push({ name: 'haproxy', started: haproxy });
    const url = `postgres://postgres@127.0.0.1:${proxyPort}/postgres`;
    // HAProxy starts with every server up, until their checks fail: until then it spreads
    // connections over the standbys too.
    await waitFor(
      'HAProxy to route to the leader alone',
      10_000,
      async () => {
        for (let i = 0; i < 2 * nodes.length; i++) {
          const [{ recovery }] = await databaseAt(url).query<{
            recovery: boolean;
          }>('SELECT pg_is_in_recovery() AS recovery');
          if (recovery) return undefined;
        }
        return true;
      },
      200,
    );
    await databaseAt(url).query(
      'CREATE TABLE failover_probe (at timestamptz DEFAULT now())',
    );

    const leader = async () => {
      const statuses = await Promise.all(
        nodes.map((node) =>
          httpStatus(`http://127.0.0.1:${node.apiPort}/primary`),
        ),
      );
      return nodes[statuses.indexOf(200)];
    };

    return {
      url,
      nodes,
      leader,
      waitForWritableLeader: (not, timeoutMs) =>
        waitFor(
          'a new leader that takes writes',
          timeoutMs,
          async () => {
            const found = await leader();
            if (!found || found === not) return undefined;
            const client = new Client({
              connectionString: `postgres://postgres@127.0.0.1:${found.pgPort}/postgres`,
              query_timeout: 1_000,
              connectionTimeoutMillis: 1_000,
            });
            await client.connect();
            try {
              // A write, so that its commit waits for the synchronous standby where there is
              // one (an xid alone writes no WAL, and its commit waits for nothing).
              await client.query('INSERT INTO failover_probe DEFAULT VALUES');
              return found;
            } finally {
              await client.end();
            }
          },
          200,
        ),
      postgresProcesses: (node) => {
        const postmaster = postmasterPid(node.dataDir);
        return postmaster === undefined
          ? []
          : [
              { pid: postmaster, command: 'postmaster' },
              ...childrenOf(postmaster),
            ];
      },
      killMachine(node) {
        const postmaster = postmasterPid(node.dataDir);
        const pids = [
          node.patroni.pid!,
          ...(postmaster === undefined
            ? []
            : [postmaster, ...childrenOf(postmaster).map((c) => c.pid)]),
        ];
        // Stopped first, so that none of them acts on the others' deaths.
        signal(pids, 'SIGSTOP');
        signal(pids, 'SIGKILL');
      },
      logs: () =>
        started
          .map(({ name, started: s }) => `--- ${name}\n${s.output.join('')}`)
          .join('\n'),
      stop,
    };
  } catch (error) {
    const logs = started
      .map(({ name, started: s }) => `--- ${name}\n${s.output.join('')}`)
      .join('\n');
    await stop();
    throw new Error(`${(error as Error).message}\n${logs}`);
  }
}
