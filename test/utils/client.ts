import { request } from 'node:http';
import { type Outcome, readJsonBody } from './burst';

export interface SendOptions {
  method?: string;
  /** An object is sent as JSON; a string or Buffer as is. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Give up (status 0, code `timeout`) after this many milliseconds. */
  timeoutMs?: number;
}

/**
 * One HTTP request on a fresh connection. Never throws: a transport failure is an outcome with
 * status 0, and `body.code` says what happened.
 */
export function send(
  baseUrl: string,
  path: string,
  { method = 'POST', body, headers = {}, timeoutMs = 30_000 }: SendOptions = {},
): Promise<Outcome> {
  const payload =
    body === undefined
      ? undefined
      : typeof body === 'string' || Buffer.isBuffer(body)
        ? body
        : JSON.stringify(body);
  const fired = performance.now();
  return new Promise((resolve) => {
    const done = (
      status: number,
      parsed: Outcome['body'],
      received?: Outcome['headers'],
    ) =>
      resolve({
        status,
        body: parsed,
        latencyMs: performance.now() - fired,
        headers: received,
      });
    let req: ReturnType<typeof request>;
    try {
      req = request(new URL(`${baseUrl}${path}`), {
        agent: false,
        method,
        timeout: timeoutMs,
        headers: {
          ...(payload !== undefined && typeof body === 'object'
            ? { 'content-type': 'application/json' }
            : {}),
          ...(payload !== undefined
            ? { 'content-length': String(Buffer.byteLength(payload)) }
            : {}),
          ...headers,
        },
      });
    } catch (error) {
      // Node refused to send it (e.g. an invalid header): nothing reached the server.
      done(-1, { code: (error as Error).message });
      return;
    }
    req.on(
      'response',
      (response) =>
        void readJsonBody(response).then((parsed) =>
          done(response.statusCode ?? 0, parsed, response.headers),
        ),
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (error) => done(0, { code: error.message }));
    req.end(payload);
  });
}
