import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/** The image under test: built from the project's Dockerfile before the suite (see .ci/run). */
export const IMAGE =
  process.env.BALANCE_SERVICE_IMAGE ?? 'balance-service:local';

/** The project's root, where its Dockerfile and docker-compose.yml are. */
export const ROOT = join(__dirname, '..', '..');

/** The names the migrator records: the dated migrations, and the functions of db/functions. */
const sqlNames = (folder: string) =>
  readdirSync(join(ROOT, 'db', folder))
    .filter((file) => file.endsWith('.sql'))
    .map((file) => file.replace(/\.sql$/, ''))
    .sort();
export const MIGRATIONS = sqlNames('migrations');
export const FUNCTIONS = sqlNames('functions');

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end; never throws for a non-zero exit, which is part of the result. */
export function run(
  command: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      {
        cwd: ROOT,
        env: { ...process.env, ...env },
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') {
          reject(new Error(`${command}: ${error.message}`));
          return;
        }
        resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
      },
    );
  });
}

/** `docker …`, whose stdout (trimmed) it returns; a non-zero exit throws with its stderr. */
export async function docker(...args: string[]): Promise<string> {
  const result = await run('docker', args);
  if (result.code !== 0) {
    throw new Error(`docker ${args.join(' ')}: ${result.stderr.trim()}`);
  }
  return result.stdout.trim();
}

export const sleep = (ms: number) =>
  new Promise((resolve) => setTimeout(resolve, ms));

/** What Docker says of a container's health: `starting`, `healthy`, `unhealthy`. */
export const health = (container: string) =>
  docker('inspect', '-f', '{{.State.Health.Status}}', container);

/** Waits until Docker reports the container healthy; throws with its log when it does not. */
export async function waitHealthy(
  container: string,
  timeoutMs: number,
): Promise<void> {
  for (const started = Date.now(); Date.now() - started < timeoutMs;) {
    const status = await health(container);
    if (status === 'healthy') return;
    if (status === 'unhealthy') break;
    await sleep(250);
  }
  const logs = await run('docker', ['logs', '--tail', '50', container]);
  throw new Error(
    `${container} is ${await health(container)}:\n${logs.stdout}${logs.stderr}`,
  );
}
