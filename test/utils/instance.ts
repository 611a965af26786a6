import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { freePort } from './free-port';
import { createTestDatabase, type TestDatabase } from './test-database';

const MAIN = join(__dirname, '..', '..', 'dist', 'main.js');

export interface SpawnedInstance {
  url: string;
  process: ChildProcess;
  /** Everything the instance wrote to stdout and stderr so far. */
  output(): string;
  /** The exit code, once the process is gone. */
  exited: Promise<number | null>;
}

export interface Instance extends SpawnedInstance {
  /** Sends the signal and resolves with the exit code once the process is gone. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Spawns the production build (`npm run build` first) as a separate process, on a free port. */
export async function spawnInstance(
  databaseUrl: string,
  env: Record<string, string> = {},
): Promise<SpawnedInstance> {
  const port = await freePort();
  const child = spawn(process.execPath, [MAIN], {
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      PORT: String(port),
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return {
    url: `http://127.0.0.1:${port}`,
    process: child,
    output: () => output,
    exited: once(child, 'exit').then(([code]) => code as number | null),
  };
}

/** Spawns an instance and resolves once it answers `/health` with 200. */
export async function startInstance(
  databaseUrl: string,
  env: Record<string, string> = {},
): Promise<Instance> {
  const instance = await spawnInstance(databaseUrl, env);
  let running = true;
  void instance.exited.then(() => (running = false));
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (running) instance.process.kill(signal);
    return instance.exited;
  };
  for (const started = Date.now(); Date.now() - started < 30_000;) {
    if (!running) {
      throw new Error(`Instance exited while starting:\n${instance.output()}`);
    }
    const healthy = await fetch(`${instance.url}/health`)
      .then((response) => response.ok)
      .catch(() => false);
    if (healthy) {
      return { ...instance, stop };
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await stop('SIGKILL');
  throw new Error(`Instance did not become healthy:\n${instance.output()}`);
}

export interface InstancesOnTestDatabase {
  database: TestDatabase;
  instances: Instance[];
}

/**
 * For the calling `describe`: a fresh database and `count` instances on it, started one at a
 * time (the first applies the migrations; concurrent start has tests of its own), before its
 * tests; all stopped and the database dropped after them.
 */
export function startInstancesOnTestDatabase(
  count: number,
): InstancesOnTestDatabase {
  const started = { instances: [] } as unknown as InstancesOnTestDatabase;
  beforeAll(async () => {
    started.database = await createTestDatabase();
    for (let i = 0; i < count; i++) {
      started.instances.push(await startInstance(started.database.url));
    }
  });
  afterAll(async () => {
    await Promise.all(started.instances.map((instance) => instance.stop()));
    await started.database?.drop();
  });
  return started;
}
