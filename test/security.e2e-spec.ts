import type { LoggerService } from '@nestjs/common';
import { request } from 'node:http';
import { bootApp, bootAppOnTestDatabase, listen } from './utils/app';
import { createTestDatabase } from './utils/test-database';

describe('access control', () => {
  const booted = bootAppOnTestDatabase({
    environment: { API_KEYS: 'first-key,second-key' },
  });
  // Over a real socket: one test sends headers and never the body.
  let url: string;

  const debit = (headers: Record<string, string> = {}) =>
    fetch(`${url}/users/1/balance`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ amount: -2 }),
    });
  const expectUnauthorized = async (response: Response) => {
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
    expect(await response.json()).toEqual({
      statusCode: 401,
      error: 'Unauthorized',
      code: 'UNAUTHORIZED',
      message: expect.any(String) as string,
    });
  };
  const expectSecurityHeaders = (response: Response) => {
    expect(response.headers.get('x-powered-by')).toBeNull();
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('strict-transport-security')).toMatch(
      /max-age/,
    );
    expect(response.headers.get('content-security-policy')).toBeTruthy();
  };
  const balance = async () =>
    (
      await booted.database.query<{ balance: number }>(
        'SELECT balance FROM users',
      )
    )[0].balance;

  beforeAll(async () => {
    url = await listen(booted.app);
  });

  it.each([
    ['no Authorization header', {}],
    ['an unknown key', { authorization: 'Bearer third-key' }],
    ['a prefix of a key', { authorization: 'Bearer first' }],
    ['another scheme', { authorization: 'Basic Zmlyc3Qta2V5' }],
    ['a bare key', { authorization: 'first-key' }],
  ])(
    'refuses %s with 401 UNAUTHORIZED and changes nothing',
    async (_, headers) => {
      await expectUnauthorized(await debit(headers));
      expect(await balance()).toBe(10_000);
    },
  );

  it('accepts any of the keys', async () => {
    expect((await debit({ authorization: 'Bearer first-key' })).status).toBe(
      200,
    );
    expect((await debit({ authorization: 'Bearer second-key' })).status).toBe(
      200,
    );
    const user = await fetch(`${url}/users/1`, {
      headers: { authorization: 'Bearer second-key' },
    });
    expect(user.status).toBe(200);
    expect(await balance()).toBe(9_996);
    expect((await fetch(`${url}/users/1`)).status).toBe(401);
  });

  it('counts a request refused for its key, as any other', async () => {
    await debit();
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(
      /^http_requests_total\{method="POST",route="unmatched",status="401"\} [1-9]/m,
    );
  });

  it('leaves health and metrics open', async () => {
    for (const path of ['/health', '/health/live', '/metrics']) {
      expect((await fetch(`${url}${path}`)).status).toBe(200);
    }
  });

  it('sends security headers and no X-Powered-By', async () => {
    expectSecurityHeaders(await fetch(`${url}/health`));
    const refused = await debit();
    expectSecurityHeaders(refused);
    await expectUnauthorized(refused);
  });

  it.each([
    '/docs',
    '/docs/',
    '/docs-json',
    '/docs-yaml',
    '/docs/swagger-ui-init.js',
    '/docs/swagger-ui-bundle.js',
    '/docs/swagger-ui.css',
    '/docs/favicon-32x32.png',
  ])('guards %s like any route, with the security headers', async (path) => {
    const refused = await fetch(`${url}${path}`);
    expectSecurityHeaders(refused);
    await expectUnauthorized(refused);
    const served = await fetch(`${url}${path}`, {
      headers: { authorization: 'Bearer first-key' },
    });
    expect(served.status).toBe(200);
    expectSecurityHeaders(served);
  });

  it('serves a Swagger UI page whose scripts its CSP allows: no inline script', async () => {
    const page = await fetch(`${url}/docs`, {
      headers: { authorization: 'Bearer first-key' },
    });
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/script-src 'self'/);
    // Over plain HTTP to another host than localhost, it would send every asset to https://.
    expect(csp).not.toMatch(/upgrade-insecure-requests/);
    const scripts = [...(await page.text()).matchAll(/<script([^>]*)>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attributes] of scripts) {
      expect(attributes).toMatch(/src=/);
    }
  });

  describe('refuses a request without a key with 401 before routing or reading its body', () => {
    it.each([
      ['an unknown route', 'GET', '/nowhere', undefined, undefined],
      ['an unknown money route', 'POST', '/users/1/balances', 'json', '{}'],
      ['a malformed id', 'GET', '/users/x', undefined, undefined],
      ['malformed JSON', 'POST', '/users/1/balance', 'json', '{"amount":'],
      ['a body that is not an object', 'POST', '/users', 'json', '[]'],
      ['an unknown field', 'POST', '/users', 'json', '{"admin":true}'],
      ['a body over the limit', 'POST', '/users', 'json', 'x'.repeat(4096)],
      ['a body that is not JSON', 'POST', '/transfers', 'text', 'amount=1'],
    ])('%s', async (_, method, path, type, body) => {
      const users = () =>
        booted.database.query(
          'SELECT id, balance, version FROM users ORDER BY id',
        );
      const before = await users();
      const response = await fetch(`${url}${path}`, {
        method,
        headers:
          type === undefined
            ? {}
            : {
                'content-type':
                  type === 'json' ? 'application/json' : 'text/plain',
              },
        body,
      });
      await expectUnauthorized(response);
      expect(await users()).toEqual(before);
    });

    it('answers before the body has been sent', async () => {
      // The headers announce a body within the limit that never comes: only a refusal that
      // does not wait for the body can answer.
      const status = await new Promise<number | 'no answer'>((resolve) => {
        const req = request(`${url}/users/1/balance`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'content-length': 500,
          },
        });
        const timer = setTimeout(() => {
          resolve('no answer');
          req.destroy();
        }, 2_000);
        req.on('response', (response) => {
          clearTimeout(timer);
          resolve(response.statusCode ?? 0);
          req.destroy();
        });
        req.on('error', () => undefined);
        req.flushHeaders();
      });
      expect(status).toBe(401);
    });
  });
});

describe('without API_KEYS', () => {
  it('is open, and warns once at start that it is', async () => {
    const warnings: string[] = [];
    const logger: LoggerService = {
      log: () => undefined,
      error: () => undefined,
      warn: (message: unknown) => void warnings.push(String(message)),
    };
    const database = await createTestDatabase();
    const app = await bootApp(database.url, { logger });
    try {
      const response = await fetch(`${await listen(app)}/users/1`);
      expect(response.status).toBe(200);
    } finally {
      await app.close();
      await database.drop();
    }
    expect(
      warnings.filter((warning) => /API_KEYS is not set/.test(warning)),
    ).toHaveLength(1);
  });
});
