import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { Client } from 'pg';

/** The unit of the times in /proc/<pid>/stat: usually 100 a second, so 10 ms resolution. */
const TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }));
  } catch {
    return 100;
  }
})();

interface ProcessTimes {
  ppid: number;
  /** utime + stime: the process's own CPU, all its threads included. */
  ownTicks: number;
  /** cutime + cstime: the CPU of its children that exited and that it has reaped. */
  reapedChildrenTicks: number;
}

function readTimes(pid: number): ProcessTimes | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces and parentheses: count from its closing one.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const field = (number: number) => Number(fields[number - 3]);
  return {
    ppid: field(4),
    ownTicks: field(14) + field(15),
    reapedChildrenTicks: field(16) + field(17),
  };
}

const toMs = (ticks: number) => (ticks * 1000) / TICKS_PER_SECOND;

/** CPU milliseconds the processes have used so far; undefined if one cannot be read. */
export function processesCpuMs(pids: number[]): number | undefined {
  let ticks = 0;
  for (const pid of pids) {
    const times = readTimes(pid);
    if (!times) {
      return undefined;
    }
    ticks += times.ownTicks;
  }
  return toMs(ticks);
}

/**
 * CPU milliseconds a PostgreSQL server has used so far: the postmaster's own, its live
 * children's (backends, walwriter, checkpointer, autovacuum...), and those of the children
 * that have exited, which the postmaster's cutime and cstime accumulate once it reaps them.
 * A child reaped during the walk over /proc would be counted twice or not at all, so the walk
 * is repeated (a few times at most, on a server with constant connection churn) until the
 * reaped total is the same before and after it.
 */
export function postgresCpuMs(postmaster: number): number | undefined {
  let ticks: number | undefined;
  for (let attempt = 0; attempt < 5; attempt++) {
    const before = readTimes(postmaster);
    if (!before) {
      return undefined;
    }
    ticks = before.ownTicks + before.reapedChildrenTicks;
    for (const entry of readdirSync('/proc')) {
      const times = /^\d+$/.test(entry) ? readTimes(Number(entry)) : undefined;
      if (times?.ppid === postmaster) {
        ticks += times.ownTicks + times.reapedChildrenTicks;
      }
    }
    const after = readTimes(postmaster);
    if (after?.reapedChildrenTicks === before.reapedChildrenTicks) {
      break;
    }
  }
  return ticks === undefined ? undefined : toMs(ticks);
}

/**
 * The pid of the postmaster of the server at `url`, when it runs on this machine: the parent
 * of this connection's backend. The backend's process title names its client's port, which
 * tells it from an unrelated local process of the same pid when the server is elsewhere.
 */
export async function findPostmaster(url: string): Promise<number | undefined> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ pid: number; port: number | null }>(
      'SELECT pg_backend_pid() AS pid, inet_client_port() AS port',
    );
    const [{ pid, port }] = rows;
    const title = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return port !== null && title.includes(`(${port})`)
      ? readTimes(pid)?.ppid
      : undefined;
  } catch {
    return undefined;
  } finally {
    await client.end();
  }
}
