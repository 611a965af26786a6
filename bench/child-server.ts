import { fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import ts from 'typescript';
import { freePort } from '../test/utils/free-port';

/** Under node_modules, so that the compiled servers resolve their packages from there. */
const OUT_DIR = join(
  __dirname,
  '..',
  'node_modules',
  '.cache',
  'balance-bench',
);

const compiled = new Map<string, string>();

/**
 * Compiles a server to JavaScript, so that it runs as the service's build does: on plain Node,
 * without the TypeScript compiler in its memory and its garbage collector's way. The files it
 * imports from its own folder (`./name`) are compiled beside it.
 */
function compile(source: string): string {
  let output = compiled.get(source);
  if (output === undefined) {
    const text = readFileSync(source, 'utf8');
    for (const { fileName } of ts.preProcessFile(text).importedFiles) {
      if (/^\.\/[\w-]+$/.test(fileName)) {
        compile(join(dirname(source), `${fileName}.ts`));
      }
    }
    const { outputText } = ts.transpileModule(text, {
      compilerOptions: {
        module: ts.ModuleKind.CommonJS,
        target: ts.ScriptTarget.ES2023,
        esModuleInterop: true,
        // Nest's decorators, as the service's own build compiles them.
        experimentalDecorators: true,
        emitDecoratorMetadata: true,
      },
    });
    mkdirSync(OUT_DIR, { recursive: true });
    output = join(OUT_DIR, basename(source).replace(/\.ts$/, '.js'));
    writeFileSync(output, outputText);
    compiled.set(source, output);
  }
  return output;
}

export interface ChildServer {
  url: string;
  pid: number;
  /** Idempotent; resolves once the process is gone. */
  stop(): Promise<void>;
}

/**
 * Starts `bench/<name>.ts` in a child process on a free port (in `PORT`), and resolves once it
 * has sent its first message: that it listens.
 */
export async function startChildServer(
  name: string,
  env: Record<string, string> = {},
): Promise<ChildServer> {
  const port = await freePort();
  const child = fork(compile(join(__dirname, `${name}.ts`)), {
    env: { ...process.env, ...env, PORT: String(port) },
    execArgv: [],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let listening = false;
  const exited = once(child, 'exit');
  await Promise.race([
    once(child, 'message'),
    exited.then(([code]) => {
      if (!listening) {
        throw new Error(`${name} exited with ${String(code)} while starting`);
      }
    }),
  ]);
  listening = true;
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill();
      }
      await exited;
    },
  };
}
