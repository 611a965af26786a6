import fc from 'fast-check';
import type { Outcome } from '../utils/burst';
import { send } from '../utils/client';
import { type Instance, startInstance } from '../utils/instance';
import { invariantViolations } from '../utils/invariants';
import { createTestDatabase, type TestDatabase } from '../utils/test-database';

/** The contract's catalogue of client errors: each code and its status. */
const CLIENT_ERRORS: Record<string, number> = {
  VALIDATION_FAILED: 400,
  UNAUTHORIZED: 401,
  NOT_FOUND: 404,
  USER_NOT_FOUND: 404,
  HOLD_NOT_FOUND: 404,
  INSUFFICIENT_FUNDS: 409,
  IDEMPOTENCY_KEY_IN_USE: 409,
  HOLD_NOT_ACTIVE: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  BALANCE_LIMIT_EXCEEDED: 422,
  IDEMPOTENCY_KEY_REUSED: 422,
  CAPTURE_EXCEEDS_HOLD: 422,
};

/** What must never reach a client: stack frames, paths, SQL, the ORM. */
const LEAK =
  /node_modules|sequelize|\bat \S+ \(|\.(ts|js):\d+|\bSELECT\b.*\bFROM\b|\bINSERT INTO\b|\bUPDATE "?users|SQLSTATE|syntax error at|invalid input syntax/i;

const RUNS = Number(process.env.FUZZ_RUNS ?? 300);

const printable = (maxLength: number) =>
  fc.string({
    unit: fc
      .integer({ min: 0x20, max: 0x7e })
      .map((c) => String.fromCharCode(c)),
    maxLength,
  });

const amount = fc.oneof(
  fc.integer({ min: -20_000, max: 20_000 }),
  fc.double({ min: -20_000, max: 20_000, noNaN: true }),
  // Fractions within the balance: a 1.5 that slips through reaches a BIGINT column.
  fc
    .tuple(fc.integer({ min: -9_999, max: 9_999 }), fc.constantFrom(0.5, 0.001))
    .map(([units, fraction]) => units + fraction),
  fc.constantFrom(
    0,
    Number.MAX_SAFE_INTEGER,
    -Number.MAX_SAFE_INTEGER,
    Number.MAX_SAFE_INTEGER + 2,
    1e300,
    -0,
    0.5,
  ),
  fc.double(),
  fc.bigInt().map(String),
  fc.string(),
  fc.constantFrom(null, true, [], {}, '5', '-1'),
);

/** References and descriptions: valid ones, near misses (lengths, control characters, non-ASCII) and other types. */
const text = fc.oneof(
  printable(130),
  fc.string({ unit: 'binary', maxLength: 520 }),
  fc.constantFrom(
    '',
    'x'.repeat(128),
    'x'.repeat(129),
    'é'.repeat(500),
    '😀'.repeat(501),
    '\u0000',
    'a\nb',
    '\u007f',
    '\ud800',
  ),
  fc.constantFrom(null, 0, true, [], {}),
);

/** Bodies: mostly `{amount}` with hostile amounts, then near-valid objects, arbitrary JSON and text. */
const body = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({ amount }).map((value) => JSON.stringify(value)),
  },
  fc
    .record(
      { amount, balance: amount, fromUserId: amount, toUserId: amount },
      { requiredKeys: [] },
    )
    .map((value) => JSON.stringify(value)),
  {
    weight: 2,
    arbitrary: fc
      .record(
        {
          amount,
          expiresInSeconds: amount,
          reference: text,
          description: text,
        },
        { requiredKeys: [] },
      )
      .map((value) => JSON.stringify(value)),
  },
  fc
    .dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 2 }))
    .map((value) => JSON.stringify({ amount: 1, ...value })),
  fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)),
  fc.string({ maxLength: 200 }),
  fc.constantFrom(
    '',
    '{',
    '{"amount": 1,}',
    '{"amount": 01}',
    'null',
    '[]',
    'x'.repeat(2_000),
  ),
);

const id = fc.oneof(
  fc.integer({ min: -(2 ** 40), max: 2 ** 40 }).map(String),
  fc.constantFrom(
    '1',
    '01',
    '1.0',
    '1e3',
    '0x1',
    '2147483647',
    '2147483648',
    '-1',
    '0',
    '%20',
    'null',
  ),
  fc.string({ maxLength: 20 }).map(encodeURIComponent),
);

const contentType = fc.option(
  fc.oneof(
    { weight: 3, arbitrary: fc.constant('application/json') },
    fc.constantFrom(
      'application/json',
      'application/json; charset=utf-8',
      'application/json; charset=latin1',
      'application/merge-patch+json',
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
    ),
    printable(40),
  ),
  { nil: undefined },
);

const headers = fc.dictionary(
  fc.constantFrom(
    'idempotency-key',
    'authorization',
    'accept',
    'accept-encoding',
    'content-encoding',
    'x-forwarded-for',
    'x-http-method-override',
  ),
  printable(300),
  { maxKeys: 3 },
);

/** Mostly the holds the test placed, so that a capture that slips through really moves money. */
const holdId = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 1, max: 12 }).map(String) },
  id,
);

// Mostly the existing user, so that a request that slips through really moves money.
const route = fc.oneof(
  { weight: 4, arbitrary: fc.constant('/users/1/balance') },
  id.map((userId) => `/users/${userId}/balance`),
  fc.constant('/users'),
  fc.constant('/transfers'),
  { weight: 2, arbitrary: fc.constant('/users/1/holds') },
  id.map((userId) => `/users/${userId}/holds`),
  { weight: 2, arbitrary: holdId.map((hold) => `/holds/${hold}/capture`) },
  holdId.map((hold) => `/holds/${hold}/void`),
);

const query = fc
  .record(
    {
      limit: fc.oneof(
        fc.integer({ min: -5, max: 200 }).map(String),
        printable(5),
      ),
      cursor: fc.oneof(printable(40), fc.constantFrom('Ng', 'MA', '')),
      status: fc.oneof(
        fc.constantFrom('active', 'captured', 'voided', 'expired', ''),
        printable(10),
      ),
      reference: text.map(String),
    },
    { requiredKeys: [] },
  )
  .map((params) => new URLSearchParams(params).toString());

const readRoute = fc.oneof(
  id.map((userId) => `/users/${userId}`),
  holdId.map((hold) => `/holds/${hold}`),
  fc
    .tuple(id, query)
    .map(([userId, search]) => `/users/${userId}/holds?${search}`),
  fc
    .tuple(id, query)
    .map(([userId, search]) => `/users/${userId}/transactions?${search}`),
);

describe('hostile input against a running instance', () => {
  let database: TestDatabase;
  let instance: Instance;

  beforeAll(async () => {
    database = await createTestDatabase();
    instance = await startInstance(database.url);
    // Holds for the captures and voids to find; some expire during the run.
    for (const expiresInSeconds of [3600, 3600, 3600, 3600, 2, 2]) {
      const placed = await send(instance.url, '/users/1/holds', {
        body: { amount: 100, expiresInSeconds },
      });
      expect(placed.status).toBe(201);
    }
  });

  afterAll(async () => {
    await instance?.stop();
    await database?.drop();
  });

  const totalMoney = async () =>
    (
      await database.query<{ total: number }>(
        'SELECT coalesce(sum(balance), 0)::bigint AS total FROM users',
      )
    )[0].total;

  /** The holds as they are: a refused request must leave them so. */
  const holdsState = async () =>
    (
      await database.query<{ state: string }>(
        "SELECT coalesce(string_agg(id || ':' || status, ',' ORDER BY id), '') AS state FROM holds",
      )
    )[0].state;

  /** Never a 5xx, never a leak, every 4xx a catalogue code with its own status. */
  const expectWellFormed = (outcome: Outcome) => {
    expect(outcome.status).toBeGreaterThanOrEqual(200);
    expect(outcome.status).toBeLessThan(500);
    expect(JSON.stringify(outcome.body)).not.toMatch(LEAK);
    if (outcome.status >= 400) {
      expect(outcome.body.statusCode).toBe(outcome.status);
      expect(CLIENT_ERRORS[outcome.body.code ?? '']).toBe(outcome.status);
    }
  };

  /** How much money a 2xx answer to this request says it created (0 for a refusal). */
  const createdMoney = (path: string, outcome: Outcome, sent: string) => {
    // A refusal, or a replay of an earlier request under the same Idempotency-Key.
    if (outcome.status >= 300 || outcome.headers?.['idempotent-replayed']) {
      return 0;
    }
    if (path === '/users') return outcome.body.balance as number;
    if (path === '/transfers') return 0;
    if (path.endsWith('/holds') || path.endsWith('/void')) return 0;
    if (path.endsWith('/capture')) {
      return -(outcome.body.capturedAmount as number);
    }
    return (JSON.parse(sent) as { amount: number }).amount;
  };

  it('answers any POST body, id, header and content type without a 5xx, a leak, or a stray change of money', async () => {
    await fc.assert(
      fc.asyncProperty(
        route,
        body,
        contentType,
        headers,
        async (path, sent, type, extra) => {
          const before = await totalMoney();
          const holdsBefore = await holdsState();
          const outcome = await send(instance.url, path, {
            body: sent,
            headers: { ...(type ? { 'content-type': type } : {}), ...extra },
          });
          expectWellFormed(outcome);
          expect(await totalMoney()).toBe(
            before + createdMoney(path, outcome, sent),
          );
          if (
            outcome.status >= 300 ||
            outcome.headers?.['idempotent-replayed']
          ) {
            expect(await holdsState()).toBe(holdsBefore);
          }
        },
      ),
      { numRuns: RUNS },
    );
    expect(await invariantViolations(database)).toEqual([]);
  });

  it('answers any GET of a user, a hold or a listing, with any query, without a 5xx or a leak', async () => {
    await fc.assert(
      fc.asyncProperty(readRoute, headers, async (path, extra) => {
        expectWellFormed(
          await send(instance.url, path, {
            method: 'GET',
            headers: extra,
          }),
        );
      }),
      { numRuns: RUNS },
    );
  });

  it('answers arbitrary methods and paths without a 5xx or a leak', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'),
        fc.array(
          fc.oneof(
            id,
            fc.constantFrom(
              'users',
              'balance',
              'transfers',
              'holds',
              'capture',
              'void',
              'transactions',
              '..',
              '',
            ),
          ),
          {
            maxLength: 4,
          },
        ),
        async (method, segments) => {
          const outcome = await send(instance.url, `/${segments.join('/')}`, {
            method,
            body: method === 'GET' || method === 'OPTIONS' ? undefined : '{}',
            headers: { 'content-type': 'application/json' },
          });
          expectWellFormed(outcome);
        },
      ),
      { numRuns: RUNS },
    );
  });
});
