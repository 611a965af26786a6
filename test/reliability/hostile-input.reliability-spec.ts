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
  TRANSACTION_NOT_FOUND: 404,
  TRANSFER_NOT_FOUND: 404,
  ALREADY_REVERSED: 409,
  NOT_REVERSIBLE: 422,
  INSUFFICIENT_FUNDS: 409,
  IDEMPOTENCY_KEY_IN_USE: 409,
  HOLD_NOT_ACTIVE: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  HEADERS_TOO_LARGE: 431,
  REQUEST_TIMEOUT: 408,
  BALANCE_LIMIT_EXCEEDED: 422,
  IDEMPOTENCY_KEY_REUSED: 422,
  CAPTURE_EXCEEDS_HOLD: 422,
};

/** What must never reach a client: stack frames, paths, SQL, the ORM. */
const LEAK =
  /node_modules|sequelize|\bat \S+ \(|\.(ts|js):\d+|\bSELECT\b.*\bFROM\b|\bINSERT INTO\b|\bUPDATE "?users|SQLSTATE|syntax error at|invalid input syntax/i;

const RUNS = Number(process.env.FUZZ_RUNS ?? 300);

/** Keys that class-transformer drops before the whitelist sees them, unless refused first. */
const PROTOTYPE_KEYS = Object.getOwnPropertyNames(Object.prototype);

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
    .dictionary(
      fc.oneof(
        fc.string({ maxLength: 12 }),
        fc.constantFrom(...PROTOTYPE_KEYS),
      ),
      fc.jsonValue({ maxDepth: 2 }),
    )
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
      'application/json; charset=utf-8',
      'application/json; charset=latin1',
      'application/json; charset=UTF-8',
      'application/json; charset=utf-16',
      'application/merge-patch+json',
      'application/problem+json',
      'application/json-patch+json',
      'application/vnd.foo+json',
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

/** Mostly the entries and transfers the test made, so that a reversal that slips through moves money. */
const entryId = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 1, max: 14 }).map(String) },
  id,
);

/**
 * The routes the arbitraries below reach, as the API document names them; a test checks that
 * they are all the document's, so a new route cannot be left out unseen.
 */
const FUZZED_ROUTES = [
  'POST /users/{id}/balance',
  'POST /users',
  'POST /transfers',
  'POST /users/{id}/holds',
  'POST /holds/{id}/capture',
  'POST /holds/{id}/void',
  'POST /transactions/{id}/reverse',
  'POST /transfers/{id}/reverse',
  'GET /users/{id}',
  'GET /holds/{id}',
  'GET /users/{id}/holds',
  'GET /users/{id}/transactions',
  'GET /users/{id}/balance',
  'GET /transactions/{id}',
  'GET /events',
];

/** Documented, but not the API's own: probes, metrics and the document itself. */
const UNFUZZED = /^GET \/(health|metrics)/;

// Mostly the existing user, so that a request that slips through really moves money.
const route = fc.oneof(
  { weight: 4, arbitrary: fc.constant('/users/1/balance') },
  id.map((userId) => `/users/${userId}/balance`),
  { weight: 2, arbitrary: fc.constant('/users') },
  fc.constant('/transfers'),
  { weight: 2, arbitrary: fc.constant('/users/1/holds') },
  id.map((userId) => `/users/${userId}/holds`),
  { weight: 2, arbitrary: holdId.map((hold) => `/holds/${hold}/capture`) },
  holdId.map((hold) => `/holds/${hold}/void`),
  {
    weight: 2,
    arbitrary: entryId.map((entry) => `/transactions/${entry}/reverse`),
  },
  entryId.map((transfer) => `/transfers/${transfer}/reverse`),
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
      actor: fc.oneof(printable(70), fc.constantFrom('anonymous', '')),
    },
    { requiredKeys: [] },
  )
  .map((params) => new URLSearchParams(params).toString());

/**
 * A page of the change feed. A valid wait would hold a run for up to 30 s with nothing new, so
 * waitSeconds is 0, or a value that must be refused.
 */
const feedQuery = fc
  .record(
    {
      after: fc.oneof(printable(40), fc.constantFrom('', 'AAAA', 'MTox')),
      limit: fc.oneof(
        fc.integer({ min: -5, max: 2000 }).map(String),
        printable(5),
      ),
      waitSeconds: fc.oneof(
        fc.constantFrom('0', '-1', '31', '1.5', '1e1', ''),
        printable(5).filter((value) => !/^[0-9]{1,2}$/.test(value)),
      ),
    },
    { requiredKeys: [] },
  )
  .map((params) => new URLSearchParams(params).toString());

const readRoute = fc.oneof(
  id.map((userId) => `/users/${userId}`),
  feedQuery.map((search) => `/events?${search}`),
  entryId.map((entry) => `/transactions/${entry}`),
  fc
    .tuple(
      id,
      fc.oneof(
        printable(40),
        fc.date({ noInvalidDate: true }).map((date) => date.toISOString()),
        fc.constantFrom(
          '2026-02-30T00:00:00Z',
          '0000-01-01T00:00:00Z',
          '2026-01-01T00:00:00+23:59',
          '9999-12-31T23:59:59.999999999-14:59',
        ),
      ),
    )
    .map(
      ([userId, at]) => `/users/${userId}/balance?at=${encodeURIComponent(at)}`,
    ),
  holdId.map((hold) => `/holds/${hold}`),
  fc
    .tuple(id, query)
    .map(([userId, search]) => `/users/${userId}/holds?${search}`),
  fc
    .tuple(id, query)
    .map(([userId, search]) => `/users/${userId}/transactions?${search}`),
);

/** The fields each route takes; a request that is accepted said nothing else. */
const ANNOTATION = ['reference', 'description'];
const fieldsOf = (path: string): string[] =>
  path === '/users'
    ? ['balance']
    : path === '/transfers'
      ? ['fromUserId', 'toUserId', 'amount', ...ANNOTATION]
      : path.endsWith('/holds')
        ? ['amount', 'expiresInSeconds', ...ANNOTATION]
        : path.endsWith('/void')
          ? []
          : path.endsWith('/reverse')
            ? ANNOTATION
            : ['amount', ...ANNOTATION];

/**
 * A body the route would accept as JSON, sometimes with one key named after an Object.prototype
 * member: under a content type or a key that must be refused, its effect shows what was read.
 */
const validBodyFor = (path: string) =>
  fc
    .tuple(
      path === '/users'
        ? fc.record(
            { balance: fc.integer({ min: 0, max: 10_000 }) },
            { requiredKeys: [] },
          )
        : path === '/transfers'
          ? fc.record({
              fromUserId: fc.integer({ min: 1, max: 3 }),
              toUserId: fc.integer({ min: 1, max: 3 }),
              amount: fc.integer({ min: 1, max: 500 }),
            })
          : path.endsWith('/reverse')
            ? fc.constant({})
            : fc.record({ amount: fc.integer({ min: -500, max: 500 }) }),
      fc.oneof(
        { weight: 2, arbitrary: fc.constant(null) },
        fc.constantFrom(...PROTOTYPE_KEYS),
      ),
    )
    .map(([fields, extra]) =>
      JSON.stringify(extra === null ? fields : { ...fields, [extra]: 1 }),
    );

/** Half hostile bodies on any route, half bodies that fit the route. */
const postRequest = fc.oneof(
  fc.tuple(route, body),
  route.chain((path) => fc.tuple(fc.constant(path), validBodyFor(path))),
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
    // Entries and transfers for the reversals to find: credits of user 1, transfers to user 2.
    for (let i = 0; i < 6; i++) {
      const credit = await send(instance.url, '/users/1/balance', {
        body: { amount: 10 },
      });
      expect(credit.status).toBe(200);
    }
    const other = await send(instance.url, '/users', { body: {} });
    for (let i = 0; i < 3; i++) {
      const transfer = await send(instance.url, '/transfers', {
        body: { fromUserId: 1, toUserId: other.body.id, amount: 5 },
      });
      expect(transfer.status).toBe(201);
    }
  });

  afterAll(async () => {
    await instance?.stop();
    await database?.drop();
  });

  interface UserRow {
    id: number;
    balance: number;
    version: number;
  }

  const usersById = async () =>
    new Map(
      (
        await database.query<UserRow>(
          'SELECT id, balance, version FROM users ORDER BY id',
        )
      ).map((user) => [user.id, user]),
    );

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

  /**
   * What an accepted request said, read as the contract reads it: a JSON object, or no body at
   * all. The service accepting anything else (a body it did not parse) is a failure in itself.
   */
  const sentObject = (sent: string): Record<string, number> => {
    if (sent === '') return {};
    let parsed: unknown;
    try {
      parsed = JSON.parse(sent);
    } catch {
      parsed = undefined;
    }
    if (
      parsed === null ||
      typeof parsed !== 'object' ||
      Array.isArray(parsed)
    ) {
      throw new Error(`accepted a body that is not a JSON object: ${sent}`);
    }
    return parsed as Record<string, number>;
  };

  /**
   * The users as they must be after the request: unchanged by a refusal or a replay, else
   * changed by exactly what the request said, and the answer says the same.
   */
  const expectedUsers = (
    before: Map<number, UserRow>,
    path: string,
    outcome: Outcome,
    sent: string,
  ): Map<number, UserRow> => {
    const after = new Map(before);
    if (outcome.status >= 300 || outcome.headers?.['idempotent-replayed']) {
      return after;
    }
    const said = sentObject(sent);
    expect(
      Object.keys(said).filter((key) => !fieldsOf(path).includes(key)),
    ).toEqual([]);
    const move = (id: number, amount: number) => {
      const user = before.get(id);
      expect(user).toBeDefined();
      after.set(id, {
        id,
        balance: user!.balance + amount,
        version: user!.version + 1,
      });
    };
    if (path === '/users') {
      const balance = said.balance ?? 0;
      expect(outcome.body).toEqual({
        id: expect.any(Number) as number,
        balance,
        available: balance,
        held: 0,
        version: 1,
      });
      const id = outcome.body.id as number;
      after.set(id, { id, balance, version: 1 });
    } else if (path === '/transfers') {
      expect(outcome.body).toMatchObject({
        fromUserId: said.fromUserId,
        toUserId: said.toUserId,
        amount: said.amount,
      });
      move(said.fromUserId, -said.amount);
      move(said.toUserId, said.amount);
    } else if (path.endsWith('/holds') || path.endsWith('/void')) {
      // Money is reserved or released, not moved.
    } else if (path.startsWith('/transactions/')) {
      expect(outcome.body).toMatchObject({ type: 'reversal' });
      move(outcome.body.userId as number, outcome.body.amount as number);
      expect(outcome.body.balanceAfter).toBe(
        after.get(outcome.body.userId as number)!.balance,
      );
    } else if (path.startsWith('/transfers/')) {
      move(outcome.body.fromUserId as number, -(outcome.body.amount as number));
      move(outcome.body.toUserId as number, outcome.body.amount as number);
      expect(outcome.body).toMatchObject({
        fromBalance: after.get(outcome.body.fromUserId as number)!.balance,
        toBalance: after.get(outcome.body.toUserId as number)!.balance,
      });
    } else if (path.endsWith('/capture')) {
      expect(outcome.body).toMatchObject({ status: 'captured' });
      move(
        outcome.body.userId as number,
        -(outcome.body.capturedAmount as number),
      );
      expect(outcome.body.balance).toBe(
        after.get(outcome.body.userId as number)!.balance,
      );
    } else {
      const userId = Number(/^\/users\/(\d+)\/balance$/.exec(path)?.[1]);
      expect(`/users/${userId}/balance`).toBe(path);
      move(userId, said.amount);
      expect(outcome.body).toMatchObject({
        userId,
        balance: after.get(userId)!.balance,
        version: after.get(userId)!.version,
      });
    }
    return after;
  };

  it('reaches every route of the API document', async () => {
    const document = (await send(instance.url, '/docs-json', { method: 'GET' }))
      .body as { paths: Record<string, Record<string, unknown>> };
    const documented = Object.entries(document.paths)
      .flatMap(([path, operations]) =>
        Object.keys(operations).map(
          (method) => `${method.toUpperCase()} ${path}`,
        ),
      )
      .filter((route) => !UNFUZZED.test(route));
    expect([...FUZZED_ROUTES].sort()).toEqual(documented.sort());
  });

  it('answers any POST body, id, header and content type without a 5xx or a leak, and changes exactly what an accepted request said', async () => {
    await fc.assert(
      fc.asyncProperty(
        postRequest,
        contentType,
        headers,
        async ([path, sent], type, extra) => {
          const before = await usersById();
          const holdsBefore = await holdsState();
          const outcome = await send(instance.url, path, {
            body: sent,
            headers: { ...(type ? { 'content-type': type } : {}), ...extra },
          });
          expectWellFormed(outcome);
          expect(await usersById()).toEqual(
            expectedUsers(before, path, outcome, sent),
          );
          if (
            outcome.status >= 300 ||
            outcome.headers?.['idempotent-replayed']
          ) {
            expect(await holdsState()).toBe(holdsBefore);
          }
        },
      ),
      {
        numRuns: RUNS,
        // What the adversarial test found, checked on every run.
        examples: [
          [['/users', '{"balance":500}'], 'application/merge-patch+json', {}],
          [['/users', '{"balance":'], 'application/problem+json', {}],
          [
            ['/users/1/balance', '{"amount":1,"hasOwnProperty":1}'],
            'application/json',
            {},
          ],
          [
            ['/users/1/balance', '{"amount":1,"toString":1}'],
            'application/json',
            {},
          ],
          // A reversal of each kind that applies, and the same again, refused.
          [['/transactions/2/reverse', '{}'], 'application/json', {}],
          [['/transactions/2/reverse', '{}'], 'application/json', {}],
          [['/transfers/1/reverse', ''], undefined, {}],
          [['/transfers/1/reverse', '{}'], 'application/json', {}],
        ],
      },
    );
    expect(await invariantViolations(database)).toEqual([]);
  });

  it('answers any GET of a user, a hold, a listing or the change feed, with any query, without a 5xx or a leak', async () => {
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

  it('refuses any query key but limit and cursor, whatever its name', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.constantFrom(...Object.getOwnPropertyNames(Object.prototype)),
          fc.string({ minLength: 1, maxLength: 12 }),
        ),
        printable(12),
        async (key, value) => {
          const outcome = await send(
            instance.url,
            `/users/1/transactions?${encodeURIComponent(key)}=${encodeURIComponent(value)}`,
            { method: 'GET' },
          );
          expectWellFormed(outcome);
          if (key !== 'limit' && key !== 'cursor') {
            expect(outcome.body).toMatchObject({
              statusCode: 400,
              code: 'VALIDATION_FAILED',
            });
          }
        },
      ),
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
