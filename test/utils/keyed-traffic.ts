import { randomUUID } from 'node:crypto';
import { type Books, type Operation, requestOf } from './bank';
import type { Outcome } from './burst';
import { send } from './client';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Answers a client may get during a failover; anything else is an anomaly. */
const EXPECTED = new Set([
  '200',
  '201',
  '409 INSUFFICIENT_FUNDS',
  '409 IDEMPOTENCY_KEY_IN_USE',
  '503 SERVICE_UNAVAILABLE',
  '503 OUTCOME_UNKNOWN',
]);

/** A key's answers that are not final: the same request is sent again under the key. */
const RETRIED = new Set([
  '409 IDEMPOTENCY_KEY_IN_USE',
  '503 SERVICE_UNAVAILABLE',
  '503 OUTCOME_UNKNOWN',
]);

export interface KeyedTrafficOptions {
  url: string;
  userIds: number[];
  clients: number;
  random: () => number;
  /** What every final answer is recorded in. */
  books: Books;
  /** How long one key is retried before the client gives up on it (a failure of the test). */
  keyDeadlineMs: number;
}

export interface KeyedTraffic {
  /** Every answer, first attempts and retries, by status and code (`0 <reason>`: no answer). */
  answers: Record<string, number>;
  /** Answers outside the contract, with the operation they came to. */
  anomalies: string[];
  /** Keys that got no final answer before their deadline. */
  unfinished: string[];
  /** Final answers that were the replay of an earlier one (`Idempotent-Replayed: true`). */
  replayed: number;
  /** Every answer: when (performance.now()) its request was sent and answered. */
  timeline: { sentAt: number; answeredAt: number; answer: string }[];
  /** Stops sending new operations and resolves once every key in flight has its final answer. */
  stop(): Promise<void>;
}

const answerOf = (outcome: Outcome) =>
  outcome.status >= 200 && outcome.status < 300
    ? String(outcome.status)
    : `${outcome.status} ${outcome.body.code}`;

/**
 * Clients that each send one keyed operation after another (credits, debits, transfers, a hold
 * then its capture) to one instance, and retry each under its key, after the Retry-After the
 * service asks for, until a final answer: a 2xx or a refusal. No answer at all (a dropped
 * connection, a timeout) is retried too.
 */
export function startKeyedTraffic({
  url,
  userIds,
  clients,
  random,
  books,
  keyDeadlineMs,
}: KeyedTrafficOptions): KeyedTraffic {
  let done: Promise<unknown> = Promise.resolve();
  const traffic: KeyedTraffic = {
    answers: {},
    anomalies: [],
    unfinished: [],
    replayed: 0,
    timeline: [],
    stop: async () => {
      running = false;
      await done;
    },
  };
  let running = true;

  const untilFinal = async (operation: Operation): Promise<Outcome> => {
    const { path, body } = requestOf(operation);
    const key = randomUUID();
    const giveUpAt = performance.now() + keyDeadlineMs;
    for (;;) {
      const sentAt = performance.now();
      const outcome = await send(url, path, {
        body,
        headers: { 'idempotency-key': key },
        timeoutMs: 30_000,
      });
      const answer = answerOf(outcome);
      traffic.answers[answer] = (traffic.answers[answer] ?? 0) + 1;
      traffic.timeline.push({ sentAt, answeredAt: performance.now(), answer });
      if (outcome.status > 0 && !EXPECTED.has(answer)) {
        traffic.anomalies.push(`${operation.kind} ${path} got ${answer}`);
      }
      const final =
        outcome.status > 0 && outcome.status < 500 && !RETRIED.has(answer);
      if (final) {
        books.record(operation, [outcome]);
        if (outcome.headers?.['idempotent-replayed'] === 'true') {
          traffic.replayed++;
        }
        return outcome;
      }
      if (performance.now() > giveUpAt) {
        traffic.unfinished.push(`${operation.kind} ${path} key ${key}`);
        // Neither acknowledged nor refused: the books take it as maybe applied.
        books.record(operation, [outcome], [0, 503]);
        return outcome;
      }
      const retryAfter = Number(outcome.headers?.['retry-after'] ?? 0.2);
      await sleep(retryAfter * 1_000);
    }
  };

  const pick = () => userIds[Math.floor(random() * userIds.length)];
  const client = async () => {
    while (running) {
      const roll = random();
      if (roll < 0.25) {
        await untilFinal({
          kind: 'credit',
          userId: pick(),
          amount: 1 + Math.floor(random() * 300),
        });
      } else if (roll < 0.5) {
        await untilFinal({
          kind: 'debit',
          userId: pick(),
          amount: 1 + Math.floor(random() * 500),
        });
      } else if (roll < 0.75) {
        const fromUserId = pick();
        let toUserId = pick();
        while (toUserId === fromUserId) toUserId = pick();
        await untilFinal({
          kind: 'transfer',
          fromUserId,
          toUserId,
          amount: 1 + Math.floor(random() * 400),
        });
      } else {
        const userId = pick();
        const amount = 1 + Math.floor(random() * 400);
        const placed = await untilFinal({
          kind: 'hold',
          userId,
          amount,
          expiresInSeconds: 600,
        });
        if (placed.status === 201) {
          await untilFinal({
            kind: 'capture',
            hold: { id: placed.body.id as number, userId, amount },
            amount:
              random() < 0.5 ? undefined : 1 + Math.floor(random() * amount),
          });
        }
      }
    }
  };
  done = Promise.all(Array.from({ length: clients }, client));
  return traffic;
}

/** `GET /health` every `intervalMs`: when each was sent, and its status (0: no answer). */
export function sampleHealth(
  url: string,
  intervalMs: number,
): {
  samples: { sentAt: number; answeredAt: number; status: number }[];
  stop(): Promise<void>;
} {
  const samples: { sentAt: number; answeredAt: number; status: number }[] = [];
  let running = true;
  const done = (async () => {
    while (running) {
      const sentAt = performance.now();
      const { status } = await send(url, '/health', {
        method: 'GET',
        timeoutMs: 5_000,
      });
      samples.push({ sentAt, answeredAt: performance.now(), status });
      await sleep(intervalMs);
    }
  })();
  return {
    samples,
    stop: async () => {
      running = false;
      await done;
    },
  };
}
