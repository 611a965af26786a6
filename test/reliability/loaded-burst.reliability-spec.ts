import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { cpus } from 'node:os';
import { fireBurst } from '../utils/burst';
import { startInstancesOnTestDatabase } from '../utils/instance';
import { expectDrainedByDebitsOfTwo } from '../utils/invariants';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Longer than the pool's idle eviction (10 s), so a pool that empties when quiet is empty. */
const QUIET_MS = 12_000;

/**
 * How long the CPU is taken from the instance once the burst arrives: past the 5 s connect
 * timeout, while it takes in the requests; then it gets its CPU back, so that the burst drains
 * well within the pool's acquire timeout even on a slow machine.
 */
const LOADED_MS = 7_000;

/** Busy loops, for the CPU the instance would otherwise have. */
function startCpuHogs(count: number, cpu: number): ChildProcess[] {
  return Array.from({ length: count }, () => {
    const hog = spawn(process.execPath, ['-e', 'for (;;) {}'], {
      stdio: 'ignore',
    });
    pin(hog.pid!, cpu);
    return hog;
  });
}

/** Every thread of the process (libuv's pool and V8's helpers too) onto these CPUs. */
function pin(pid: number, cpus: number | string): void {
  execFileSync('taskset', ['-a', '-c', '-p', String(cpus), String(pid)], {
    stdio: 'ignore',
  });
}

/**
 * The acceptance burst on a machine that is busy when it arrives, after a quiet spell: for its
 * first seconds the instance shares one CPU with two busy loops, so its event loop takes in the
 * 10000 requests at a third of its speed. Requests that merely wait for a connection must be served, never
 * answered 503 (a connect that timed out while the loop was busy used to fail its waiter).
 */
describe('the acceptance burst on a loaded machine, after a quiet spell', () => {
  const cluster = startInstancesOnTestDatabase(1);
  let hogs: ChildProcess[] = [];

  afterEach(() => {
    hogs.forEach((hog) => hog.kill('SIGKILL'));
    hogs = [];
  });

  it('applies exactly 5000 and refuses exactly 5000, with no 503', async () => {
    const [instance] = cluster.instances;
    pin(instance.process.pid!, 0);
    await sleep(QUIET_MS);
    hogs = startCpuHogs(2, 0);
    const relieved = sleep(LOADED_MS).then(() => {
      hogs.forEach((hog) => hog.kill('SIGKILL'));
      pin(instance.process.pid!, `0-${cpus().length - 1}`);
    });

    const burst = await fireBurst(
      [instance.url],
      '/users/1/balance',
      { amount: -2 },
      10_000,
    );
    await relieved;

    console.log(
      `loaded burst: ${burst.wallMs.toFixed(0)} ms for 10000 requests`,
      burst.counts,
    );
    await expectDrainedByDebitsOfTwo(burst, cluster.database, 5000);
  }, 300_000);
});
