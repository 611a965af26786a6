import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Books, type Operation, readOpening, requestOf } from '../utils/bank';
import { send } from '../utils/client';
import { freePort } from '../utils/free-port';
import {
  type OwnedPostgres,
  startOwnedPostgres,
} from '../utils/owned-postgres';
import { type Instance, startInstance } from '../utils/instance';
import { invariantViolations } from '../utils/invariants';
import { databaseAt, type Queryable } from '../utils/test-database';

/** The documented bound (README, "Guarantees"): no request waits longer while PostgreSQL is down. */
const FAIL_FAST_MS = 5_000;
/**
 * The documented bound while PostgreSQL is unresponsive (frozen, partitioned) and the pool is
 * not saturated: a 5 s connect timeout, a 10 s query timeout and a 10 s rollback timeout, plus
 * slack for a loaded machine. A saturated pool adds up to DB_POOL_ACQUIRE_TIMEOUT_MS.
 */
const UNRESPONSIVE_BOUND_MS = 30_000;
/** How long the same processes may take to serve again once PostgreSQL is back. */
const RECOVERY_MS = 10_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * PostgreSQL stops (a fast shutdown: sessions terminated, open transactions rolled back) while
 * two instances are under load, stays down, then starts again. A server of the test's own, on a
 * free port: never the machine's shared one.
 */
describe('PostgreSQL going away mid-burst', () => {
  let dataDir: string;
  let port: number;
  let postgres: OwnedPostgres | undefined;
  let database: Queryable;
  let instances: Instance[] = [];

  const startPostgres = async () => {
    postgres = await startOwnedPostgres(dataDir, port);
    return postgres.url;
  };

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'balance-outage-pg-'));
    port = await freePort();
    const url = await startPostgres();
    database = databaseAt(url);
    for (let i = 0; i < 2; i++) {
      instances.push(await startInstance(url));
    }
  });

  afterAll(async () => {
    await Promise.all(instances.map((instance) => instance.stop()));
    instances = [];
    await postgres?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  const health = (instance: Instance) =>
    send(instance.url, '/health', {
      method: 'GET',
      timeoutMs: FAIL_FAST_MS * 2,
    });

  const waitUntilHealthy = async () => {
    const started = performance.now();
    while (performance.now() - started < RECOVERY_MS) {
      const answers = await Promise.all(instances.map(health));
      if (answers.every((answer) => answer.status === 200)) {
        return performance.now() - started;
      }
      await sleep(200);
    }
    throw new Error('The instances did not recover');
  };

  it('answers 503 fast while it is down, and the same processes recover by themselves', async () => {
    const books = new Books(await readOpening(database, [1]));
    const phases: Record<string, { statuses: Set<number>; maxMs: number }> = {};
    let phase = 'up';
    let running = true;
    const client = async (index: number) => {
      for (let i = 0; running; i++) {
        const operation: Operation = {
          kind: i % 2 === 0 ? 'debit' : 'credit',
          userId: 1,
          amount: 1 + (index % 5),
        };
        const { path, body } = requestOf(operation);
        const current = phase;
        const outcome = await send(instances[i % 2].url, path, {
          body,
          timeoutMs: FAIL_FAST_MS * 2,
        });
        books.record(operation, [outcome], [503]);
        const seen = (phases[current] ??= { statuses: new Set(), maxMs: 0 });
        seen.statuses.add(outcome.status);
        seen.maxMs = Math.max(seen.maxMs, outcome.latencyMs);
        if (outcome.status === 503) {
          // OUTCOME_UNKNOWN when the connection went while COMMIT was on its way: a backend
          // terminated while idle in its transaction rolled it back, but the service cannot tell.
          expect(['SERVICE_UNAVAILABLE', 'OUTCOME_UNKNOWN']).toContain(
            outcome.body.code,
          );
          await sleep(50);
        }
      }
    };
    const load = Promise.all(Array.from({ length: 20 }, (_, i) => client(i)));

    await sleep(1_000);
    phase = 'stopping';
    await postgres!.stop();
    postgres = undefined;
    phase = 'down';
    await sleep(3_000);
    const healthDown = await Promise.all(instances.map(health));

    phase = 'restarting';
    await startPostgres();
    const restarted = performance.now();
    let recovered = false;
    while (!recovered && performance.now() - restarted < RECOVERY_MS) {
      const answers = await Promise.all(instances.map(health));
      recovered = answers.every((answer) => answer.status === 200);
      if (!recovered) await sleep(200);
    }
    const recoveryMs = performance.now() - restarted;
    phase = 'recovered';
    await sleep(1_500);
    running = false;
    await load;

    console.log(
      `recovered in ${recoveryMs.toFixed(0)} ms`,
      books.counts,
      Object.fromEntries(
        Object.entries(phases).map(([name, { statuses, maxMs }]) => [
          name,
          `${[...statuses].join(',')} max ${maxMs.toFixed(0)} ms`,
        ]),
      ),
    );
    expect(books.anomalies).toEqual([]);
    for (const answer of healthDown) {
      expect(answer.status).toBe(503);
      expect(answer.latencyMs).toBeLessThan(FAIL_FAST_MS);
    }
    expect(recovered).toBe(true);
    for (const [name, { statuses, maxMs }] of Object.entries(phases)) {
      expect({
        name,
        statuses: [...statuses].filter((s) => ![200, 409, 503].includes(s)),
      }).toEqual({ name, statuses: [] });
      expect({ name, maxMs: Math.min(maxMs, FAIL_FAST_MS) }).toEqual({
        name,
        maxMs,
      });
    }
    expect(phases.down.statuses).toEqual(new Set([503]));
    expect(phases.recovered.statuses).toEqual(new Set([200]));
    // A 503 changed nothing: the balance is the opening plus exactly the acknowledged changes.
    expect(
      await invariantViolations(database, {
        ...books.expectations(),
        uncertain: [],
      }),
    ).toEqual([]);
  });

  it('answers 503 within a bound while it is unresponsive, and recovers when it answers again', async () => {
    await waitUntilHealthy();
    const books = new Books(await readOpening(database, [1]));
    // SIGSTOP the server and its backends: connections stay open, nothing answers.
    const postmaster = Number(
      (await readFile(join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0],
    );
    const backends = execFileSync('ps', [
      '-o',
      'pid=',
      '--ppid',
      String(postmaster),
    ])
      .toString()
      .trim()
      .split(/\s+/)
      .map(Number);
    const frozen = [postmaster, ...backends];
    frozen.forEach((pid) => process.kill(pid, 'SIGSTOP'));
    let outcomes: Awaited<ReturnType<typeof send>>[];
    let healthFrozen: Awaited<ReturnType<typeof send>>[];
    try {
      const debit: Operation = { kind: 'debit', userId: 1, amount: 1 };
      const { path, body } = requestOf(debit);
      [outcomes, healthFrozen] = await Promise.all([
        Promise.all(
          Array.from({ length: 30 }, (_, i) =>
            send(instances[i % 2].url, path, {
              body,
              timeoutMs: UNRESPONSIVE_BOUND_MS * 2,
            }),
          ),
        ),
        sleep(500).then(() => Promise.all(instances.map(health))),
      ]);
      outcomes.forEach((outcome) => books.record(debit, [outcome], [503]));
    } finally {
      frozen.forEach((pid) => process.kill(pid, 'SIGCONT'));
    }
    const recoveryMs = await waitUntilHealthy();
    const after = await send(instances[0].url, '/users/1/balance', {
      body: { amount: -1 },
    });

    console.log(
      `unresponsive: ${books.counts['503 SERVICE_UNAVAILABLE']} × 503, slowest ` +
        `${Math.max(...outcomes.map((o) => o.latencyMs)).toFixed(0)} ms; recovered in ${recoveryMs.toFixed(0)} ms`,
    );
    expect(books.anomalies).toEqual([]);
    for (const outcome of outcomes) {
      expect(outcome.status).toBe(503);
      expect(outcome.body.code).toBe('SERVICE_UNAVAILABLE');
      expect(outcome.latencyMs).toBeLessThan(UNRESPONSIVE_BOUND_MS);
    }
    for (const answer of healthFrozen) {
      expect(answer.status).toBe(503);
      expect(answer.latencyMs).toBeLessThan(FAIL_FAST_MS);
    }
    expect(after.status).toBe(200);
    // A 503 after a timeout is not a promise that nothing happened (the COMMIT may have been on
    // its way): those debits are uncertain, every acknowledged one must be there.
    books.acknowledged.push({
      userId: 1,
      amount: -1,
      balanceAfter: after.body.balance as number,
    });
    expect(await invariantViolations(database, books.expectations())).toEqual(
      [],
    );
  });
});
