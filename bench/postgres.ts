import { rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedPostgres } from '../src/database/embedded-postgres';
import { freePort } from '../test/utils/free-port';

export interface BenchServer {
  /** A URL on the server, on which the benchmark creates and drops databases of its own. */
  url: string;
  embedded: boolean;
  stop(): Promise<void>;
}

/**
 * `DATABASE_URL` if set, else a throwaway embedded PostgreSQL in a temporary directory on a
 * free port, so that it never meets the `.data/` server of `npm start`.
 */
export async function startBenchServer(): Promise<BenchServer> {
  const { DATABASE_URL: url } = process.env;
  if (url) {
    return { url, embedded: false, stop: () => Promise.resolve() };
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
  return { url: server.url, embedded: true, stop: () => server.stop() };
}
