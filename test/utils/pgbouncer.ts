import { type ChildProcess, spawnSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { freePort } from './free-port';

export interface PgBouncer {
  /** A URL to `database` through the pooler. */
  url(database: string): string;
  /** `SHOW <what>` on the admin console, e.g. STATS. */
  show(what: string): Promise<Record<string, unknown>[]>;
  stop(): Promise<void>;
}

export const hasPgBouncer = (): boolean =>
  spawnSync('pgbouncer', ['--version']).status === 0;

/**
 * A PgBouncer of its own in transaction-pooling mode, in front of the PostgreSQL server of
 * `serverUrl`, with every database of that server reachable under its own name.
 */
export async function startPgBouncer(
  serverUrl: string,
  poolSize: number,
): Promise<PgBouncer> {
  const server = new URL(serverUrl);
  const user = decodeURIComponent(server.username || 'postgres');
  const password = decodeURIComponent(server.password);
  const dir = await mkdtemp(join(tmpdir(), 'balance-pgbouncer-'));
  const port = await freePort();
  const connect = [
    `host=${server.hostname}`,
    `port=${server.port || 5432}`,
    `user=${user}`,
    ...(password ? [`password=${password}`] : []),
  ].join(' ');
  await writeFile(join(dir, 'userlist.txt'), `"${user}" ""\n`);
  await writeFile(
    join(dir, 'pgbouncer.ini'),
    [
      '[databases]',
      `* = ${connect}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = trust',
      `auth_file = ${join(dir, 'userlist.txt')}`,
      `admin_users = ${user}`,
      'pool_mode = transaction',
      'max_client_conn = 1000',
      `default_pool_size = ${poolSize}`,
      'ignore_startup_parameters = extra_float_digits',
      '',
    ].join('\n'),
  );
  // PgBouncer refuses to run as root; it then drops to the postgres user, who must read this.
  const asRoot = userInfo().uid === 0;
  if (asRoot) await chmod(dir, 0o755);
  const child: ChildProcess = spawn(
    'pgbouncer',
    [...(asRoot ? ['-u', 'postgres'] : []), join(dir, 'pgbouncer.ini')],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let output = '';
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = once(child, 'exit');
  const url = (database: string) =>
    `postgres://${encodeURIComponent(user)}@127.0.0.1:${port}/${database}`;
  const show = async (what: string) => {
    const client = new Client({ connectionString: url('pgbouncer') });
    await client.connect();
    try {
      return (await client.query(`SHOW ${what}`)).rows as Record<
        string,
        unknown
      >[];
    } finally {
      await client.end();
    }
  };
  for (const started = Date.now(); ;) {
    if (child.exitCode !== null) {
      throw new Error(`PgBouncer exited:\n${output}`);
    }
    if (
      await show('VERSION').then(
        () => true,
        () => false,
      )
    )
      break;
    if (Date.now() - started > 10_000) {
      child.kill('SIGKILL');
      throw new Error(`PgBouncer did not start:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    show,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}
