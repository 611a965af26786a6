import { spawn } from 'node:child_process';
import { once } from 'node:events';
import {
  Agent,
  type IncomingHttpHeaders,
  type IncomingMessage,
  request,
} from 'node:http';
import { join } from 'node:path';

export interface Outcome {
  status: number;
  body: { code?: string; [field: string]: unknown };
  /** Milliseconds from firing to the last byte of the response. */
  latencyMs: number;
  /** Milliseconds from firing to the TCP connect; undefined when a kept-alive socket was reused. */
  connectMs?: number;
  headers?: IncomingHttpHeaders;
}

export interface BurstResult {
  outcomes: Outcome[];
  wallMs: number;
  /** How many responses had each `status` or `status code`, e.g. `409 INSUFFICIENT_FUNDS`. */
  counts: Record<string, number>;
}

/** POSTs a JSON body through the agent; every result, a transport failure included, is an outcome. */
function postJson(agent: Agent, url: URL, body: string): Promise<Outcome> {
  const fired = performance.now();
  let connectMs: number | undefined;
  return new Promise((resolve) => {
    const req = request(
      url,
      {
        agent,
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        },
      },
      (response) =>
        void readJsonBody(response).then((parsed) =>
          resolve({
            status: response.statusCode ?? 0,
            body: parsed,
            latencyMs: performance.now() - fired,
            connectMs,
          }),
        ),
    );
    req.on('socket', (socket) => {
      if (socket.connecting) {
        socket.once('connect', () => (connectMs = performance.now() - fired));
      }
    });
    // A transport failure is an outcome too (status 0), never a thrown error.
    req.on('error', (error) =>
      resolve({
        status: 0,
        body: { code: error.message },
        latencyMs: performance.now() - fired,
        connectMs,
      }),
    );
    req.end(body);
  });
}

/**
 * Fires `count` POSTs at once, each on a fresh connection, spread round-robin over the base
 * URLs, and waits for all of them.
 */
export async function fireBurst(
  baseUrls: string[],
  path: string,
  payload: unknown,
  count: number,
): Promise<BurstResult> {
  const agent = new Agent({ keepAlive: false, maxSockets: count });
  const body = JSON.stringify(payload);
  const started = performance.now();
  const outcomes = await Promise.all(
    Array.from({ length: count }, (_, i) =>
      postJson(agent, new URL(path, baseUrls[i % baseUrls.length]), body),
    ),
  );
  const wallMs = performance.now() - started;
  agent.destroy();
  return { outcomes, wallMs, counts: countOutcomes(outcomes) };
}

/** How many outcomes had each `status` or `status code`, e.g. `409 INSUFFICIENT_FUNDS`. */
function countOutcomes(outcomes: Outcome[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const { status, body } of outcomes) {
    const key = status === 200 ? '200' : `${status} ${body.code}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

/** A response's body as JSON; a body that is not JSON is kept whole, as `text`. */
export function readJsonBody(
  response: IncomingMessage,
): Promise<Outcome['body']> {
  return new Promise((resolve) => {
    let text = '';
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => (text += chunk));
    response.on('end', () => {
      try {
        resolve(JSON.parse(text) as Outcome['body']);
      } catch {
        resolve({ code: 'unparsable', text });
      }
    });
  });
}

/**
 * `fireBurst` from a child process, as a client elsewhere would: its sockets then count against
 * that process's file descriptors, not against those of an app serving in this one (a burst of
 * 10000 holds 10000 on each side, and the limit is often 20000 a process), and it has a CPU of
 * its own.
 */
export async function fireBurstFromAnotherProcess(
  baseUrls: string[],
  path: string,
  payload: unknown,
  count: number,
): Promise<BurstResult> {
  const client = spawn(
    process.execPath,
    [
      '-r',
      'ts-node/register/transpile-only',
      join(__dirname, 'burst-client.ts'),
      JSON.stringify([baseUrls, path, payload, count]),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let output = '';
  client.stdout.setEncoding('utf8');
  client.stdout.on('data', (chunk: string) => (output += chunk));
  // 'close', not 'exit': stdout has then been read to its end.
  const [code] = (await once(client, 'close')) as [number | null];
  if (code !== 0) {
    throw new Error(`The burst's client exited with ${code}`);
  }
  return JSON.parse(output) as BurstResult;
}
