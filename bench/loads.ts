import autocannon from 'autocannon';
import { fireBurst } from '../test/utils/burst';
import { percentile } from './stats';

interface Change {
  userId: number;
  amount: number;
}

/** What a load did, and what it must have done to the balances. */
export interface LoadResult {
  wallMs: number;
  /** Answers received. */
  requests: number;
  /** Answers by `status` or `status code`, e.g. `409 INSUFFICIENT_FUNDS`. */
  counts: Record<string, number>;
  p50Ms: number;
  p99Ms: number;
  /** By user, the sum of the amounts answered 200. */
  applied: Map<number, number>;
  /** Requests sent and never answered, cut off by the load's end: each applied or not. */
  cutOff: Change[];
}

/** `requests` debits of 2 at once on user `userId`, each on a fresh connection. */
export async function burstLoad(
  url: string,
  userId: number,
  requests: number,
): Promise<LoadResult> {
  const { outcomes, wallMs, counts } = await fireBurst(
    [url],
    `/users/${userId}/balance`,
    { amount: -2 },
    requests,
  );
  const latencies = outcomes.map((o) => o.latencyMs).sort((a, b) => a - b);
  return {
    wallMs,
    requests,
    counts,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    applied: new Map([[userId, -2 * (counts['200'] ?? 0)]]),
    cutOff: [],
  };
}

export interface SpreadOptions {
  users: number;
  connections: number;
  seconds: number;
}

const codeOf = (body: string) =>
  /"code":"([A-Z_]+)"/.exec(body)?.[1] ?? 'without a code';

/**
 * `connections` keep-alive connections, each sending one request at a time for `seconds`: a
 * credit or debit of 1 on a user drawn at random from `userIds`.
 */
export async function spreadLoad(
  url: string,
  userIds: number[],
  { connections, seconds }: SpreadOptions,
): Promise<LoadResult> {
  const inFlight = new Set<Change>();
  const applied = new Map<number, number>();
  const counts: Record<string, number> = {};
  let requests = 0;
  const started = performance.now();
  // autocannon keeps a context per connection: here, its change in flight.
  const result = await autocannon({
    url,
    connections,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        setupRequest: (request, context: { change?: Change }) => {
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
        onResponse: (status, body, context: { change?: Change }) => {
          const { userId, amount } = context.change!;
          inFlight.delete(context.change!);
          requests++;
          const key = status === 200 ? '200' : `${status} ${codeOf(body)}`;
          counts[key] = (counts[key] ?? 0) + 1;
          if (status === 200) {
            applied.set(userId, (applied.get(userId) ?? 0) + amount);
          }
        },
      },
    ],
  });
  if (result.errors > 0 || result.timeouts > 0) {
    throw new Error(
      `spread: ${result.errors} error(s), ${result.timeouts} timeout(s)`,
    );
  }
  return {
    wallMs: performance.now() - started,
    requests,
    counts,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    applied,
    cutOff: [...inFlight],
  };
}

/**
 * Once nothing can change the balances any more, each user's must be its opening plus the
 * amounts answered 200, plus some of its requests cut off.
 */
export function expectBalances(
  design: string,
  opening: number,
  balances: { id: number; balance: number }[],
  load: LoadResult,
): void {
  const wrong = balances.filter(({ id, balance }) => {
    const possible = load.cutOff
      .filter((change) => change.userId === id)
      .reduce(
        (sums, { amount }) =>
          new Set([...sums, ...[...sums].map((sum) => sum + amount)]),
        new Set([0]),
      );
    return !possible.has(balance - opening - (load.applied.get(id) ?? 0));
  });
  if (wrong.length > 0) {
    throw new Error(
      `${design}: ${wrong.length} balance(s) differ from the answers, e.g. ${JSON.stringify(wrong.slice(0, 5))}`,
    );
  }
}
