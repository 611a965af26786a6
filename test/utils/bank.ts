import { randomUUID } from 'node:crypto';
import type { Outcome } from './burst';
import { send } from './client';
import type {
  AcknowledgedChange,
  Capture,
  Expectations,
  UncertainChange,
} from './invariants';
import type { Queryable } from './test-database';

/**
 * Operations the bank workload generates besides credits and debits: transfers, holds (placed
 * with short or long expiries, captured whole or in part, voided, often racing on one hold),
 * reversals of recent balance transactions and transfers (often racing on one), and requests
 * sent with an `Idempotency-Key` and retried. Switch one off here to narrow down a failure.
 */
export const BANK_FEATURES = {
  transfers: true,
  holds: true,
  reversals: true,
  idempotencyKeys: true,
};

/** The longest of the short expiries the workload gives holds. */
export const SHORT_HOLD_SECONDS = 2;

/** A hold the workload placed, for captures and voids to pick from. */
export interface PlacedHold {
  id: number;
  userId: number;
  amount: number;
}

/** A credit, debit or capture the workload made, for reversals to pick from. */
export interface MadeEntry {
  id: number;
  userId: number;
  /** Signed, as in the ledger. */
  amount: number;
}

/** A transfer the workload made, for reversals to pick from. */
export interface MadeTransfer {
  id: number;
  fromUserId: number;
  toUserId: number;
  amount: number;
}

export type Operation =
  | { kind: 'credit' | 'debit'; userId: number; amount: number }
  | { kind: 'transfer'; fromUserId: number; toUserId: number; amount: number }
  | {
      kind: 'hold';
      userId: number;
      amount: number;
      expiresInSeconds: number;
    }
  /** `amount` undefined: the whole hold. */
  | { kind: 'capture'; hold: PlacedHold; amount?: number }
  | { kind: 'void'; hold: PlacedHold }
  | { kind: 'reverse'; entry: MadeEntry }
  | { kind: 'reverseTransfer'; transfer: MadeTransfer };

/** A small seeded generator, so that a failing run can be replayed with its seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Creates users with the given opening balances through `POST /users` when the service has it,
 * else straight in the table. Returns their ids.
 */
export async function createUsers(
  baseUrl: string,
  database: Queryable,
  balances: number[],
): Promise<number[]> {
  const probe = await send(baseUrl, '/users', {
    body: { balance: balances[0] },
  });
  if (probe.status === 201) {
    const ids = [probe.body.id as number];
    for (const balance of balances.slice(1)) {
      const created = await send(baseUrl, '/users', { body: { balance } });
      if (created.status !== 201) {
        throw new Error(`POST /users answered ${created.status}`);
      }
      ids.push(created.body.id as number);
    }
    return ids;
  }
  const rows = await database.query<{ id: number }>(
    'INSERT INTO users (balance) SELECT unnest($1::bigint[]) RETURNING id',
    [balances],
  );
  return rows.map((row) => row.id);
}

/** Snapshot of balances and versions, as the opening of a workload. */
export async function readOpening(
  database: Queryable,
  ids: number[],
): Promise<Expectations['opening']> {
  const rows = await database.query<{
    id: number;
    balance: number;
    version: number;
  }>('SELECT id, balance, version FROM users WHERE id = ANY($1)', [ids]);
  return new Map(
    rows.map(({ id, balance, version }) => [id, { balance, version }]),
  );
}

/** What happened to every operation: acknowledged (2xx), refused (4xx) or unknown. */
export class Books {
  readonly acknowledged: AcknowledgedChange[] = [];
  readonly uncertain: UncertainChange[] = [];
  /** Holds placed (2xx), newest last: what captures and voids pick from. */
  readonly holds: PlacedHold[] = [];
  readonly captures: Capture[] = [];
  readonly voids: number[] = [];
  /** Holds whose capture or void got no answer: either may have happened. */
  readonly unsettled: number[] = [];
  /** Credits, debits and captures (2xx), newest last: what reversals pick from. */
  readonly entries: MadeEntry[] = [];
  readonly transfers: MadeTransfer[] = [];
  /** The reversal acknowledged for each entry or transfer (`entry 7`, `transfer 3`). */
  readonly reversals = new Map<string, number>();
  /** Anything the contract does not allow here (5xx, unknown codes, replays that differ). */
  readonly anomalies: string[] = [];
  readonly counts: Record<string, number> = {};

  constructor(readonly opening: Expectations['opening']) {}

  expectations(): Expectations {
    return {
      opening: this.opening,
      acknowledged: this.acknowledged,
      uncertain: this.uncertain,
      holds: {
        placed: this.holds,
        captures: this.captures,
        voids: this.voids,
        unsettled: this.unsettled,
      },
    };
  }

  /**
   * Records an operation from all the answers it got (several when retried with one key).
   * `allowed` lists the statuses the scenario tolerates besides 2xx and the expected 4xx.
   */
  record(operation: Operation, outcomes: Outcome[], allowed: number[] = []) {
    for (const { status, body } of outcomes) {
      const key =
        status < 300 && status > 0
          ? String(status)
          : body.code === 'HOLD_NOT_ACTIVE'
            ? `${status} ${body.code} (${String(body.status)})`
            : `${status} ${body.code}`;
      this.counts[key] = (this.counts[key] ?? 0) + 1;
      if (status >= 500 && !allowed.includes(status)) {
        this.anomalies.push(`${operation.kind} got ${status} ${body.code}`);
      }
      if (status <= 0 && !allowed.includes(0)) {
        this.anomalies.push(`${operation.kind} got no answer: ${body.code}`);
      }
    }
    const acknowledged = outcomes.filter(
      (o) => o.status >= 200 && o.status < 300,
    );
    const bodies = new Set(acknowledged.map((o) => JSON.stringify(o.body)));
    if (bodies.size > 1) {
      this.anomalies.push(
        `retries of one key answered differently: ${[...bodies].join(' | ')}`,
      );
    }
    const changes = changesOf(operation);
    if (acknowledged.length > 0) {
      const body = acknowledged[0].body;
      switch (operation.kind) {
        case 'transfer':
          this.acknowledged.push(
            { ...changes[0], balanceAfter: body.fromBalance as number },
            { ...changes[1], balanceAfter: body.toBalance as number },
          );
          this.transfers.push({
            id: body.id as number,
            fromUserId: operation.fromUserId,
            toUserId: operation.toUserId,
            amount: operation.amount,
          });
          break;
        case 'reverse':
          this.reversed(`entry ${operation.entry.id}`, body.id as number);
          this.acknowledged.push({
            ...changes[0],
            balanceAfter: body.balanceAfter as number,
          });
          break;
        case 'reverseTransfer':
          this.reversed(`transfer ${operation.transfer.id}`, body.id as number);
          this.acknowledged.push(
            { ...changes[0], balanceAfter: body.fromBalance as number },
            { ...changes[1], balanceAfter: body.toBalance as number },
          );
          break;
        case 'hold':
          this.holds.push({
            id: body.id as number,
            userId: operation.userId,
            amount: operation.amount,
          });
          break;
        case 'capture': {
          const amount = body.capturedAmount as number;
          this.captures.push({ holdId: operation.hold.id, amount });
          this.acknowledged.push({
            userId: operation.hold.userId,
            amount: -amount,
            balanceAfter: body.balance as number,
          });
          this.entries.push({
            id: body.transactionId as number,
            userId: operation.hold.userId,
            amount: -amount,
          });
          break;
        }
        case 'void':
          this.voids.push(operation.hold.id);
          break;
        default:
          this.acknowledged.push({
            ...changes[0],
            balanceAfter: body.balance as number,
          });
          this.entries.push({
            id: body.transactionId as number,
            ...changes[0],
          });
      }
    } else if (outcomes.some((o) => o.status <= 0 || o.status >= 500)) {
      // No answer, or an error that does not say whether it applied: maybe it did.
      this.uncertain.push(...changes);
      if (operation.kind === 'capture' || operation.kind === 'void') {
        this.unsettled.push(operation.hold.id);
      }
    }
  }

  /** An entry or transfer is reversed once: a second reversal acknowledged is an anomaly. */
  private reversed(what: string, reversalId: number): void {
    const first = this.reversals.get(what);
    if (first !== undefined && first !== reversalId) {
      this.anomalies.push(
        `${what} reversed twice: by ${first} and ${reversalId}`,
      );
    }
    this.reversals.set(what, reversalId);
  }
}

/** The changes of balance an operation makes if it applies. */
function changesOf(operation: Operation): UncertainChange[] {
  switch (operation.kind) {
    case 'transfer':
      return [
        { userId: operation.fromUserId, amount: -operation.amount },
        { userId: operation.toUserId, amount: operation.amount },
      ];
    case 'credit':
      return [{ userId: operation.userId, amount: operation.amount }];
    case 'debit':
      return [{ userId: operation.userId, amount: -operation.amount }];
    case 'capture':
      return [
        {
          userId: operation.hold.userId,
          amount: -(operation.amount ?? operation.hold.amount),
        },
      ];
    case 'reverse':
      return [
        { userId: operation.entry.userId, amount: -operation.entry.amount },
      ];
    case 'reverseTransfer':
      return [
        {
          userId: operation.transfer.toUserId,
          amount: -operation.transfer.amount,
        },
        {
          userId: operation.transfer.fromUserId,
          amount: operation.transfer.amount,
        },
      ];
    case 'hold':
    case 'void':
      return [];
  }
}

export function requestOf(operation: Operation): {
  path: string;
  body: unknown;
} {
  switch (operation.kind) {
    case 'transfer': {
      const { fromUserId, toUserId, amount } = operation;
      return { path: '/transfers', body: { fromUserId, toUserId, amount } };
    }
    case 'hold': {
      const { userId, amount, expiresInSeconds } = operation;
      return {
        path: `/users/${userId}/holds`,
        body: { amount, expiresInSeconds, reference: `bank-${userId}` },
      };
    }
    case 'capture':
      return {
        path: `/holds/${operation.hold.id}/capture`,
        body:
          operation.amount === undefined ? {} : { amount: operation.amount },
      };
    case 'void':
      return { path: `/holds/${operation.hold.id}/void`, body: {} };
    case 'reverse':
      return { path: `/transactions/${operation.entry.id}/reverse`, body: {} };
    case 'reverseTransfer':
      return {
        path: `/transfers/${operation.transfer.id}/reverse`,
        body: {},
      };
    default: {
      const amount =
        operation.kind === 'credit' ? operation.amount : -operation.amount;
      return { path: `/users/${operation.userId}/balance`, body: { amount } };
    }
  }
}

export interface WorkloadOptions {
  urls: string[];
  userIds: number[];
  clients: number;
  operationsPerClient: number;
  random: () => number;
  features?: typeof BANK_FEATURES;
}

/**
 * A random operation; a third of the traffic goes to two hot users, where contention is.
 * Captures and voids pick among the last holds placed, reversals among the last entries and
 * transfers made, so that they race on the same ones.
 */
function randomOperation(
  random: () => number,
  userIds: number[],
  features: typeof BANK_FEATURES,
  holds: PlacedHold[] = [],
  made: Pick<Books, 'entries' | 'transfers'> = { entries: [], transfers: [] },
): Operation {
  const pick = () =>
    random() < 0.35
      ? userIds[Math.floor(random() * 2)]
      : userIds[Math.floor(random() * userIds.length)];
  if (features.holds && random() < 0.3) {
    const recent = holds.slice(-20);
    const roll = random();
    if (recent.length === 0 || roll < 0.4) {
      return {
        kind: 'hold',
        userId: pick(),
        amount: 1 + Math.floor(random() * 400),
        // Some expire while the workload runs, between the operations that read them.
        expiresInSeconds:
          random() < 0.3 ? 1 + Math.floor(random() * SHORT_HOLD_SECONDS) : 60,
      };
    }
    const hold = recent[Math.floor(random() * recent.length)];
    if (roll < 0.8) {
      const part = random();
      return {
        kind: 'capture',
        hold,
        // Whole, in part, or (refused) more than the hold.
        amount:
          part < 0.4
            ? undefined
            : part < 0.95
              ? 1 + Math.floor(random() * hold.amount)
              : hold.amount + 1,
      };
    }
    return { kind: 'void', hold };
  }
  if (features.reversals && random() < 0.1) {
    const entries = made.entries.slice(-10);
    const transfers = made.transfers.slice(-10);
    if (transfers.length > 0 && (entries.length === 0 || random() < 0.3)) {
      return {
        kind: 'reverseTransfer',
        transfer: transfers[Math.floor(random() * transfers.length)],
      };
    }
    if (entries.length > 0) {
      return {
        kind: 'reverse',
        entry: entries[Math.floor(random() * entries.length)],
      };
    }
  }
  const roll = random();
  if (features.transfers && roll < 0.3) {
    const fromUserId = pick();
    let toUserId = pick();
    while (toUserId === fromUserId) {
      toUserId = userIds[Math.floor(random() * userIds.length)];
    }
    return {
      kind: 'transfer',
      fromUserId,
      toUserId,
      amount: 1 + Math.floor(random() * 400),
    };
  }
  return roll < 0.6
    ? { kind: 'debit', userId: pick(), amount: 1 + Math.floor(random() * 600) }
    : {
        kind: 'credit',
        userId: pick(),
        amount: 1 + Math.floor(random() * 300),
      };
}

/**
 * Many concurrent clients, each sending random operations one after another, spread over the
 * instances. With idempotency keys on, a quarter of the operations carry a key and are sent
 * 2-3 times, some at once to different instances, some one after the other.
 */
export async function runWorkload(
  books: Books,
  {
    urls,
    userIds,
    clients,
    operationsPerClient,
    random,
    features = BANK_FEATURES,
  }: WorkloadOptions,
): Promise<void> {
  let next = 0;
  const client = async () => {
    for (let i = 0; i < operationsPerClient; i++) {
      const operation = randomOperation(
        random,
        userIds,
        features,
        books.holds,
        books,
      );
      const { path, body } = requestOf(operation);
      const url = () => urls[next++ % urls.length];
      if (features.idempotencyKeys && random() < 0.25) {
        const headers = { 'idempotency-key': randomUUID() };
        const attempts = 2 + Math.floor(random() * 2);
        const outcomes =
          random() < 0.5
            ? await Promise.all(
                Array.from({ length: attempts }, () =>
                  send(url(), path, { body, headers }),
                ),
              )
            : await sequentially(attempts, () =>
                send(url(), path, { body, headers }),
              );
        books.record(operation, outcomes);
      } else {
        books.record(operation, [await send(url(), path, { body })]);
      }
    }
  };
  await Promise.all(Array.from({ length: clients }, client));
}

/**
 * After the workload: once every short hold has expired, a capture of each hold no answer
 * settled. The expired ones must be refused as expired, the others captured; all is recorded.
 */
export async function captureLeftovers(
  books: Books,
  urls: string[],
  expiredAfterMs: number,
): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, expiredAfterMs));
  const settled = new Set([
    ...books.captures.map((capture) => capture.holdId),
    ...books.voids,
  ]);
  const leftovers = books.holds.filter((hold) => !settled.has(hold.id));
  await Promise.all(
    leftovers.map(async (hold, i) => {
      const operation: Operation = { kind: 'capture', hold };
      const { path, body } = requestOf(operation);
      books.record(operation, [
        await send(urls[i % urls.length], path, { body }),
      ]);
    }),
  );
}

async function sequentially<T>(
  times: number,
  run: () => Promise<T>,
): Promise<T[]> {
  const results: T[] = [];
  for (let i = 0; i < times; i++) results.push(await run());
  return results;
}
