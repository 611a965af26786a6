import type { BurstResult } from './burst';
import type { Queryable } from './test-database';

/** One change of one user's balance, as a response acknowledged it. */
export interface AcknowledgedChange {
  userId: number;
  /** Signed: a credit or incoming transfer is positive. */
  amount: number;
  /** The balance the response reported right after this change. */
  balanceAfter: number;
}

/** A change that may or may not have happened (its request got no answer). */
export interface UncertainChange {
  userId: number;
  amount: number;
}

/** A capture a response acknowledged: what it took of which hold. */
export interface Capture {
  holdId: number;
  amount: number;
}

export interface Expectations {
  /** Every user's balance before the workload (and its version, to count changes). */
  opening: Map<number, { balance: number; version: number }>;
  acknowledged: AcknowledgedChange[];
  uncertain?: UncertainChange[];
  /** What the workload did with holds, as the responses said. */
  holds?: {
    placed: { id: number; userId: number; amount: number }[];
    captures: Capture[];
    voids: number[];
    /** Holds whose capture or void got no answer. */
    unsettled: number[];
  };
}

interface UserRow {
  id: number;
  balance: number;
  version: number;
}

/**
 * Every money invariant that can be read from the database, as a list of violations (empty when
 * all hold):
 * - no balance is negative;
 * - with `expectations`: each user's balance is its opening balance plus its acknowledged changes
 *   (plus some subset of the uncertain ones), its version grew by exactly that many changes, and
 *   the total money moved by exactly the acknowledged credits and debits;
 * - when the ledger table exists: for every user `balance = Σ amount`, each `balance_after` is the
 *   running sum in id order, and every acknowledged change is in the ledger exactly once, with
 *   nothing else there but opening entries and uncertain changes;
 * - when the holds table exists: `0 <= available <= balance` and `held` = Σ active holds for every
 *   user, every captured hold has exactly one capture entry (its amount, its hold id) and every
 *   capture entry a captured hold; with `expectations.holds`, every acknowledged capture and void
 *   is what its hold says, and no hold was settled twice.
 */
export async function invariantViolations(
  database: Queryable,
  expectations?: Expectations,
): Promise<string[]> {
  const violations: string[] = [];
  const users = await database.query<UserRow>(
    'SELECT id, balance, version FROM users ORDER BY id',
  );
  for (const user of users) {
    if (user.balance < 0) {
      violations.push(`user ${user.id} has a negative balance ${user.balance}`);
    }
  }
  if (expectations) {
    violations.push(...balanceViolations(users, expectations));
  }
  if (await hasLedger(database)) {
    violations.push(...(await ledgerViolations(database, users, expectations)));
  }
  if (await hasTable(database, 'holds')) {
    violations.push(...(await holdViolations(database, expectations?.holds)));
  }
  return violations;
}

async function hasLedger(database: Queryable): Promise<boolean> {
  return hasTable(database, 'balance_transactions');
}

async function hasTable(database: Queryable, table: string): Promise<boolean> {
  const [{ exists }] = await database.query<{ exists: boolean }>(
    'SELECT to_regclass($1) IS NOT NULL AS exists',
    [table],
  );
  return exists;
}

async function holdViolations(
  database: Queryable,
  expected?: Expectations['holds'],
): Promise<string[]> {
  const violations: string[] = [];
  // One statement, so one now(): held as the service computes it, against a plain sum.
  const users = await database.query<{
    id: number;
    balance: number;
    held: number;
    active: number;
  }>(
    `SELECT u.id, u.balance, ledger_held(u.id, u.held_until, now()) AS held,
            (SELECT coalesce(sum(h.amount), 0) FROM holds h
             WHERE h.user_id = u.id AND h.status = 'active' AND NOT h.expires_at <= now())::bigint AS active
     FROM users u ORDER BY u.id`,
  );
  for (const { id, balance, held, active } of users) {
    const available = balance - held;
    if (!(available >= 0 && available <= balance)) {
      violations.push(
        `user ${id} has ${available} available of a balance of ${balance}`,
      );
    }
    if (held !== active) {
      violations.push(
        `user ${id} has ${held} held, but its active holds sum to ${active}`,
      );
    }
  }
  const holds = await database.query<{
    id: number;
    amount: number;
    status: string;
    captured_amount: number | null;
    entries: number;
    entry_amount: number | null;
    linked: boolean;
  }>(
    `SELECT h.id, h.amount, h.status, h.captured_amount,
            count(bt.id)::int AS entries, min(bt.amount) AS entry_amount,
            bool_and(bt.id IS NOT DISTINCT FROM h.transaction_id) AS linked
     FROM holds h LEFT JOIN balance_transactions bt ON bt.hold_id = h.id
     GROUP BY h.id ORDER BY h.id`,
  );
  const byId = new Map(holds.map((hold) => [hold.id, hold]));
  for (const hold of holds) {
    const captured = hold.status === 'captured';
    if (
      hold.entries !== (captured ? 1 : 0) ||
      (captured &&
        (hold.entry_amount !== -hold.captured_amount! || !hold.linked))
    ) {
      violations.push(
        `hold ${hold.id} is ${hold.status} (captured ${hold.captured_amount}) with ${hold.entries} capture entries (${hold.entry_amount})`,
      );
    }
  }
  const orphans = await database.query<{ id: number }>(
    "SELECT id FROM balance_transactions WHERE type = 'capture' AND hold_id IS NULL",
  );
  for (const { id } of orphans) {
    violations.push(`capture entry ${id} names no hold`);
  }
  if (!expected) {
    return violations;
  }
  for (const placed of expected.placed) {
    const hold = byId.get(placed.id);
    if (hold?.amount !== placed.amount) {
      violations.push(
        `acknowledged hold ${placed.id} of ${placed.amount} is ${hold ? `of ${hold.amount}` : 'missing'}`,
      );
    }
  }
  const settled = new Map<number, string>();
  for (const { holdId, amount } of expected.captures) {
    const hold = byId.get(holdId);
    if (hold?.status !== 'captured' || hold.captured_amount !== amount) {
      violations.push(
        `acknowledged capture of ${amount} from hold ${holdId}, which is ${hold?.status} (captured ${hold?.captured_amount})`,
      );
    }
    if (settled.has(holdId)) {
      violations.push(`hold ${holdId} was settled twice`);
    }
    settled.set(holdId, 'captured');
  }
  for (const holdId of expected.voids) {
    if (byId.get(holdId)?.status !== 'voided') {
      violations.push(
        `acknowledged void of hold ${holdId}, which is ${byId.get(holdId)?.status}`,
      );
    }
    if (settled.has(holdId)) {
      violations.push(`hold ${holdId} was settled twice`);
    }
    settled.set(holdId, 'voided');
  }
  const unsettled = new Set(expected.unsettled);
  for (const placed of expected.placed) {
    const status = byId.get(placed.id)?.status;
    if (
      (status === 'captured' || status === 'voided') &&
      settled.get(placed.id) !== status &&
      !unsettled.has(placed.id)
    ) {
      violations.push(
        `hold ${placed.id} is ${status}, but no such answer was given`,
      );
    }
  }
  return violations;
}

function byUser<T extends { userId: number }>(items: T[]): Map<number, T[]> {
  const grouped = new Map<number, T[]>();
  for (const item of items) {
    grouped.set(item.userId, [...(grouped.get(item.userId) ?? []), item]);
  }
  return grouped;
}

/** The sums (and counts) that some subset of `amounts` can make. */
function subsetSums(amounts: number[]): Map<number, Set<number>> {
  const multiplicity = new Map<number, number>();
  amounts.forEach((a) => multiplicity.set(a, (multiplicity.get(a) ?? 0) + 1));
  let reachable = new Map<number, Set<number>>([[0, new Set([0])]]);
  // Equal amounts taken together: k of them add k × amount, whichever they are.
  for (const [amount, times] of multiplicity) {
    const next = new Map<number, Set<number>>();
    for (const [sum, counts] of reachable) {
      for (let k = 0; k <= times; k++) {
        const target = next.get(sum + k * amount) ?? new Set<number>();
        counts.forEach((count) => target.add(count + k));
        next.set(sum + k * amount, target);
      }
    }
    reachable = next;
  }
  return reachable;
}

function balanceViolations(
  users: UserRow[],
  { opening, acknowledged, uncertain = [] }: Expectations,
): string[] {
  const violations: string[] = [];
  const acknowledgedByUser = byUser(acknowledged);
  const uncertainByUser = byUser(uncertain);
  const found = new Map(users.map((user) => [user.id, user]));
  let expectedTotal = 0;
  let total = 0;
  for (const [id, start] of opening) {
    const user = found.get(id);
    if (!user) {
      violations.push(`user ${id} is gone`);
      continue;
    }
    const changes = acknowledgedByUser.get(id) ?? [];
    const expected = changes.reduce((sum, c) => sum + c.amount, start.balance);
    const extras = subsetSums(
      (uncertainByUser.get(id) ?? []).map((change) => change.amount),
    );
    const extraCounts = extras.get(user.balance - expected);
    if (!extraCounts) {
      violations.push(
        `user ${id} has ${user.balance}, expected ${expected} (opening ${start.balance} + ${changes.length} acknowledged changes` +
          (extras.size > 1 ? ` + some of the uncertain ones)` : ')'),
      );
    } else if (
      !extraCounts.has(user.version - start.version - changes.length)
    ) {
      violations.push(
        `user ${id} changed ${user.version - start.version} times, but ${changes.length} changes were acknowledged`,
      );
    }
    expectedTotal += expected;
    total += user.balance;
  }
  if (uncertain.length === 0 && total !== expectedTotal) {
    violations.push(
      `total money is ${total}, expected ${expectedTotal} (opening + acknowledged credits - acknowledged debits)`,
    );
  }
  return violations;
}

async function ledgerViolations(
  database: Queryable,
  users: UserRow[],
  expectations?: Expectations,
): Promise<string[]> {
  const violations: string[] = [];
  const sums = await database.query<{ user_id: number; total: number }>(
    'SELECT user_id, sum(amount)::bigint AS total FROM balance_transactions GROUP BY user_id',
  );
  const sumByUser = new Map(sums.map((row) => [row.user_id, row.total]));
  for (const user of users) {
    const sum = sumByUser.get(user.id) ?? 0;
    if (sum !== user.balance) {
      violations.push(
        `user ${user.id} has ${user.balance}, but its ledger entries sum to ${sum}`,
      );
    }
  }
  const badRunningSums = await database.query<{
    id: number;
    user_id: number;
    balance_after: number;
    running: number;
  }>(
    `SELECT id, user_id, balance_after, running FROM (
       SELECT id, user_id, balance_after,
              sum(amount) OVER (PARTITION BY user_id ORDER BY id)::bigint AS running
       FROM balance_transactions) entries
     WHERE balance_after <> running ORDER BY id LIMIT 10`,
  );
  for (const row of badRunningSums) {
    violations.push(
      `ledger entry ${row.id} of user ${row.user_id} says ${row.balance_after} after it, the running sum is ${row.running}`,
    );
  }
  if (expectations) {
    violations.push(...(await entriesMatch(database, expectations)));
  }
  return violations;
}

/** Every acknowledged change in the ledger exactly once; nothing else but openings and uncertain ones. */
async function entriesMatch(
  database: Queryable,
  { opening, acknowledged, uncertain = [] }: Expectations,
): Promise<string[]> {
  const violations: string[] = [];
  const ids = [...opening.keys()];
  const entries = await database.query<{
    id: number;
    user_id: number;
    amount: number;
    balance_after: number;
  }>(
    `SELECT id, user_id, amount, balance_after FROM balance_transactions
     WHERE user_id = ANY($1) AND type <> 'opening' ORDER BY id`,
    [ids],
  );
  // Entries written before the workload (openings aside) are not ours to account for.
  const before = new Map(
    [...opening].map(([id, start]) => [id, start.version]),
  );
  const pending = new Map<string, number>();
  const key = (userId: number, amount: number, after: number) =>
    `${userId}:${amount}:${after}`;
  for (const change of acknowledged) {
    const k = key(change.userId, change.amount, change.balanceAfter);
    pending.set(k, (pending.get(k) ?? 0) + 1);
  }
  const maybe = new Map<string, number>();
  for (const change of uncertain) {
    const k = `${change.userId}:${change.amount}`;
    maybe.set(k, (maybe.get(k) ?? 0) + 1);
  }
  const seen = new Map<number, number>();
  for (const entry of entries) {
    const index = (seen.get(entry.user_id) ?? 0) + 1;
    seen.set(entry.user_id, index);
    if (index < (before.get(entry.user_id) ?? 1)) continue;
    const k = key(entry.user_id, entry.amount, entry.balance_after);
    const u = `${entry.user_id}:${entry.amount}`;
    if ((pending.get(k) ?? 0) > 0) {
      pending.set(k, pending.get(k)! - 1);
    } else if ((maybe.get(u) ?? 0) > 0) {
      maybe.set(u, maybe.get(u)! - 1);
    } else {
      violations.push(
        `ledger entry ${entry.id} (user ${entry.user_id}, ${entry.amount}, after ${entry.balance_after}) matches no acknowledged operation`,
      );
    }
  }
  for (const [k, count] of pending) {
    if (count > 0) {
      violations.push(`acknowledged change ${k} is missing from the ledger`);
    }
  }
  return violations;
}

/** Asserts every invariant that needs no expectations; resolves with the balances by user id. */
export async function expectLedgerConsistent(
  database: Queryable,
): Promise<Map<number, number>> {
  expect(await invariantViolations(database)).toEqual([]);
  const users = await database.query<UserRow>(
    'SELECT id, balance, version FROM users ORDER BY id',
  );
  return new Map(users.map((user) => [user.id, user.balance]));
}

/**
 * After a burst of debits of 2 that drained user 1: exactly `applied` were applied and the rest
 * refused as insufficient funds, every applied debit saw a distinct balance (none lost or
 * applied twice), and user 1 is left at 0.
 */
export async function expectDrainedByDebitsOfTwo(
  burst: BurstResult,
  database: Queryable,
  applied: number,
): Promise<void> {
  expect(burst.counts).toEqual({
    '200': applied,
    '409 INSUFFICIENT_FUNDS': burst.outcomes.length - applied,
  });
  const balances = burst.outcomes
    .filter((outcome) => outcome.status === 200)
    .map((outcome) => outcome.body.balance as number)
    .sort((a, b) => a - b);
  expect(balances).toEqual(Array.from({ length: applied }, (_, i) => i * 2));
  expect(await database.query('SELECT id, balance FROM users')).toEqual([
    { id: 1, balance: 0 },
  ]);
}
