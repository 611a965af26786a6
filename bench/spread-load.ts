import autocannon from 'autocannon';

export interface SpreadOptions {
  users: number;
  connections: number;
  seconds: number;
}

export interface Change {
  userId: number;
  amount: number;
}

export interface SpreadLoad {
  wallMs: number;
  /** Responses received. */
  requests: number;
  /** Responses by `status` or `status code`, e.g. `409 INSUFFICIENT_FUNDS`. */
  counts: Record<string, number>;
  p50Ms: number;
  p99Ms: number;
  /** By user, the sum of the amounts answered 200. */
  appliedByUser: Map<number, number>;
  /**
   * Requests sent and never answered, one per connection at most: the load's end closes the
   * connections under them. Each may have been applied or not.
   */
  cutOff: Change[];
}

/** What autocannon keeps for one connection: its request in flight (no pipelining). */
interface ConnectionContext {
  change?: Change;
}

const APPLIED_OR_REFUSED = new Set(['200', '409 INSUFFICIENT_FUNDS']);

function codeOf(body: string): string {
  try {
    return String((JSON.parse(body) as { code?: unknown }).code);
  } catch {
    return 'unparsable';
  }
}

/**
 * `connections` keep-alive connections, each sending one request at a time for `seconds`: a
 * credit or debit of 1 on a user drawn at random from `userIds`. Fails on any transport error,
 * timeout or answer other than 200 or 409 INSUFFICIENT_FUNDS.
 */
export async function spreadLoad(
  baseUrl: string,
  userIds: number[],
  { connections, seconds }: SpreadOptions,
): Promise<SpreadLoad> {
  const inFlight = new Set<Change>();
  const appliedByUser = new Map<number, number>();
  const counts: Record<string, number> = {};
  let requests = 0;
  const started = performance.now();
  const result = await autocannon({
    url: baseUrl,
    connections,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        setupRequest: (request, context: ConnectionContext) => {
          const change = {
            userId: userIds[Math.floor(Math.random() * userIds.length)],
            amount: Math.random() < 0.5 ? -1 : 1,
          };
          inFlight.add(change);
          context.change = change;
          return {
            ...request,
            path: `/users/${change.userId}/balance`,
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ amount: change.amount }),
          };
        },
        onResponse: (status, body, context: ConnectionContext) => {
          const change = context.change!;
          inFlight.delete(change);
          requests++;
          const key = status === 200 ? '200' : `${status} ${codeOf(body)}`;
          counts[key] = (counts[key] ?? 0) + 1;
          if (status === 200) {
            appliedByUser.set(
              change.userId,
              (appliedByUser.get(change.userId) ?? 0) + change.amount,
            );
          }
        },
      },
    ],
  });
  const wallMs = performance.now() - started;
  const unexpected = Object.keys(counts).filter(
    (key) => !APPLIED_OR_REFUSED.has(key),
  );
  if (result.errors > 0 || result.timeouts > 0 || unexpected.length > 0) {
    throw new Error(
      `spread: ${result.errors} error(s), ${result.timeouts} timeout(s), answers ${JSON.stringify(counts)}`,
    );
  }
  return {
    wallMs,
    requests,
    counts,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    appliedByUser,
    cutOff: [...inFlight],
  };
}

/**
 * The spread's exactness, once nothing can change the balances any more: each user's balance
 * is its opening plus the amounts answered 200, plus some subset of its requests cut off.
 */
export function expectSpreadReconciles(
  scenario: string,
  opening: number,
  balances: { id: number; balance: number }[],
  load: SpreadLoad,
): void {
  const wrong = balances.filter(({ id, balance }) => {
    const possible = load.cutOff
      .filter((change) => change.userId === id)
      .reduce(
        (sums, { amount }) =>
          new Set([...sums, ...[...sums].map((sum) => sum + amount)]),
        new Set([0]),
      );
    return !possible.has(balance - opening - (load.appliedByUser.get(id) ?? 0));
  });
  if (wrong.length > 0) {
    throw new Error(
      `${scenario}: ${wrong.length} balance(s) differ from the answers, e.g. ${JSON.stringify(wrong.slice(0, 5))}`,
    );
  }
}
