import { type Instance, startInstance } from './utils/instance';
import { createTestDatabase, type TestDatabase } from './utils/test-database';

describe('access control', () => {
  let database: TestDatabase;
  let instance: Instance;

  const debit = (headers: Record<string, string> = {}) =>
    fetch(`${instance.url}/users/1/balance`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ amount: -2 }),
    });
  const balance = async () =>
    (await database.query<{ balance: number }>('SELECT balance FROM users'))[0]
      .balance;

  beforeAll(async () => {
    database = await createTestDatabase();
    instance = await startInstance(database.url, {
      API_KEYS: 'first-key,second-key',
    });
  });

  afterAll(async () => {
    await instance?.stop();
    await database?.drop();
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
      const response = await debit(headers);
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer');
      expect(await response.json()).toEqual({
        statusCode: 401,
        error: 'Unauthorized',
        code: 'UNAUTHORIZED',
        message: expect.any(String) as string,
      });
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
    const user = await fetch(`${instance.url}/users/1`, {
      headers: { authorization: 'Bearer second-key' },
    });
    expect(user.status).toBe(200);
    expect(await balance()).toBe(9_996);
    expect((await fetch(`${instance.url}/users/1`)).status).toBe(401);
  });

  it('leaves health and metrics open', async () => {
    for (const path of ['/health', '/health/live', '/metrics']) {
      expect((await fetch(`${instance.url}${path}`)).status).toBe(200);
    }
  });

  it('sends security headers and no X-Powered-By', async () => {
    const response = await fetch(`${instance.url}/health`);
    expect(response.headers.get('x-powered-by')).toBeNull();
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('strict-transport-security')).toMatch(
      /max-age/,
    );
    expect(response.headers.get('content-security-policy')).toBeTruthy();
  });
});

describe('without API_KEYS', () => {
  it('is open, and warns once at start that it is', async () => {
    const database = await createTestDatabase();
    const instance = await startInstance(database.url);
    try {
      const response = await fetch(`${instance.url}/users/1`);
      expect(response.status).toBe(200);
    } finally {
      await instance.stop();
      await database.drop();
    }
    expect(instance.output().match(/API_KEYS is not set/g)).toHaveLength(1);
  });
});
