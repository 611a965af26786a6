import { Agent, type IncomingHttpHeaders, request } from 'node:http';

export interface Outcome {
  status: number;
  body: { code?: string; [field: string]: unknown };
  /** Milliseconds from firing to the last byte of the response. */
  latencyMs: number;
  headers?: IncomingHttpHeaders;
}

export interface BurstResult {
  outcomes: Outcome[];
  wallMs: number;
  /** How many responses had each `status` or `status code`, e.g. `409 INSUFFICIENT_FUNDS`. */
  counts: Record<string, number>;
}

function post(agent: Agent, url: URL, body: string): Promise<Outcome> {
  const fired = performance.now();
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
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => {
          let parsed: Outcome['body'];
          try {
            parsed = JSON.parse(text) as Outcome['body'];
          } catch {
            parsed = { code: `unparsable: ${text.slice(0, 80)}` };
          }
          resolve({
            status: response.statusCode ?? 0,
            body: parsed,
            latencyMs: performance.now() - fired,
          });
        });
      },
    );
    // A transport failure is an outcome too (status 0), never a thrown error.
    req.on('error', (error) =>
      resolve({
        status: 0,
        body: { code: error.message },
        latencyMs: performance.now() - fired,
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
      post(agent, new URL(path, baseUrls[i % baseUrls.length]), body),
    ),
  );
  const wallMs = performance.now() - started;
  agent.destroy();
  const counts: Record<string, number> = {};
  for (const { status, body: responseBody } of outcomes) {
    const key = status === 200 ? '200' : `${status} ${responseBody.code}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return { outcomes, wallMs, counts };
}
