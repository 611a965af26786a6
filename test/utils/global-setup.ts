import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedPostgres } from '../../src/database/embedded-postgres';
import { freePort } from './free-port';

declare global {
  var stopTestPostgres: (() => Promise<void>) | undefined;
}

/**
 * Tests need a PostgreSQL server on which they may create and drop databases of their own:
 * TEST_DATABASE_URL if given, else a throwaway embedded one on a free port.
 */
export default async function globalSetup(): Promise<void> {
  // Apps booted in the test process log only what a failing test may need.
  process.env.LOG_LEVEL ??= 'error';
  if (process.env.TEST_DATABASE_URL) {
    return;
  }
  const dataDir = await mkdtemp(join(tmpdir(), 'balance-test-pg-'));
  const server = await startEmbeddedPostgres({
    dataDir,
    port: await freePort(),
    database: 'postgres',
  });
  process.env.TEST_DATABASE_URL = server.url;
  globalThis.stopTestPostgres = async () => {
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  };
}
