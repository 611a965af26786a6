import { connect } from 'node:net';
import { bootAppOnTestDatabase, listen } from './utils/app';

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Writes bytes no well-behaved client would send, and reads the answer until the server closes. */
function sendRaw(baseUrl: string, bytes: string): Promise<RawResponse> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) });
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString();
      const [head, ...rest] = text.split('\r\n\r\n');
      const [statusLine, ...headerLines] = head.split('\r\n');
      resolve({
        status: Number(statusLine.split(' ')[1]),
        headers: Object.fromEntries(
          headerLines.map((line) => {
            const colon = line.indexOf(':');
            return [
              line.slice(0, colon).toLowerCase(),
              line.slice(colon + 1).trim(),
            ];
          }),
        ),
        body: rest.join('\r\n\r\n'),
      });
    });
    socket.end(bytes);
  });
}

describe("errors raised by Node's HTTP parser", () => {
  // Raw bytes need a real socket.
  const booted = bootAppOnTestDatabase();
  let baseUrl: string;
  const url = () => baseUrl;

  beforeAll(async () => {
    baseUrl = await listen(booted.app);
  });

  const expectCatalogued = (
    response: RawResponse,
    status: number,
    error: string,
    code: string,
  ) => {
    expect(response.status).toBe(status);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.headers.connection).toBe('close');
    expect(Number(response.headers['content-length'])).toBe(
      Buffer.byteLength(response.body),
    );
    expect(JSON.parse(response.body)).toEqual({
      statusCode: status,
      error,
      code,
      message: expect.any(String) as string,
    });
  };

  it('answers headers over the limit with 431 HEADERS_TOO_LARGE', async () => {
    const response = await sendRaw(
      url(),
      `GET /users/1 HTTP/1.1\r\nHost: x\r\nX-Padding: ${'x'.repeat(20_000)}\r\n\r\n`,
    );
    expectCatalogued(
      response,
      431,
      'Request Header Fields Too Large',
      'HEADERS_TOO_LARGE',
    );
  });

  it.each([
    ['a request line that is not HTTP', 'NOT HTTP AT ALL\r\n\r\n'],
    [
      'a Content-Length that is not a number',
      'POST /users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ten\r\n\r\n{}',
    ],
    [
      'both Content-Length and Transfer-Encoding',
      'POST /users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    ],
    [
      'a malformed chunk',
      'POST /users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n',
    ],
  ])('answers %s with 400 VALIDATION_FAILED', async (_, bytes) => {
    expectCatalogued(
      await sendRaw(url(), bytes),
      400,
      'Bad Request',
      'VALIDATION_FAILED',
    );
    expect(
      await booted.database.query('SELECT count(*)::int AS n FROM users'),
    ).toEqual([{ n: 1 }]);
  });

  it('keeps serving well-formed requests', async () => {
    expect((await fetch(`${url()}/users/1`)).status).toBe(200);
  });
});
