import { rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedPostgres } from '../src/database/embedded-postgres';
import { freePort } from '../test/utils/free-port';
import { findPostmaster } from './cpu';

export interface BenchServer {
  /** A URL on the server, on which the benchmark creates and drops databases of its own. */
  url: string;
  embedded: boolean;
  /** Undefined when the server does not run on this machine: its CPU time is not measured. */
  postmasterPid?: number;
  stop(): Promise<void>;
}

/**
 * `DATABASE_URL` if set, else a throwaway embedded PostgreSQL in a temporary directory on a
 * free port, so that it never meets the `.data/` server of `npm start`.
 */
export async function startBenchServer(): Promise<BenchServer> {
  if (process.env.DATABASE_URL) {
    return {
      url: process.env.DATABASE_URL,
      embedded: false,
      postmasterPid: await findPostmaster(process.env.DATABASE_URL),
      stop: () => Promise.resolve(),
    };
  }
  const dataDir = await mkdtemp(join(tmpdir(), 'balance-bench-pg-'));
  const server = await startEmbeddedPostgres({
    dataDir,
    port: await freePort(),
    database: 'postgres',
  });
  // On exit, however it comes: on Ctrl-C the embedded-postgres package stops the server and
  // exits by itself, before any cleanup of ours could finish.
  process.once('exit', () => rmSync(dataDir, { recursive: true, force: true }));
  return {
    url: server.url,
    embedded: true,
    postmasterPid: await findPostmaster(server.url),
    stop: () => server.stop(),
  };
}
