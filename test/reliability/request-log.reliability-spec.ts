import { startInstance } from '../utils/instance';
import { createTestDatabase, type TestDatabase } from '../utils/test-database';

/** What the production build writes on stdout, where `main.ts` sends every log through pino. */
describe('request logs', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase();
  });

  afterAll(async () => {
    await database?.drop();
  });

  it('writes one JSON line per refused request, with its id, and none for a success at info', async () => {
    const instance = await startInstance(database.url, { LOG_LEVEL: 'info' });
    try {
      const post = (amount: number, id: string) =>
        fetch(`${instance.url}/users/1/balance`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-request-id': id },
          body: JSON.stringify({ amount }),
        });
      expect((await post(-2, 'ok-1')).status).toBe(200);
      expect((await post(-1_000_000, 'refused-1')).status).toBe(409);
    } finally {
      expect(await instance.stop()).toBe(0);
    }
    const lines = instance
      .output()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const requestLines = lines.filter((line) => 'requestId' in line);
    expect(requestLines).toEqual([
      expect.objectContaining({
        level: 30,
        requestId: 'refused-1',
        method: 'POST',
        url: '/users/1/balance',
        statusCode: 409,
      }),
    ]);
    expect(lines.some((line) => /SELECT|UPDATE/.test(String(line.msg)))).toBe(
      false,
    );
  });
});
