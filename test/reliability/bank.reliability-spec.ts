import {
  BANK_FEATURES,
  Books,
  captureLeftovers,
  createUsers,
  SHORT_HOLD_SECONDS,
  readOpening,
  runWorkload,
  seededRandom,
} from '../utils/bank';
import { startInstancesOnTestDatabase } from '../utils/instance';
import { invariantViolations } from '../utils/invariants';

/**
 * Jepsen's bank test, on our scale: three instances on one database, twenty users, thousands of
 * random operations from many concurrent clients (credits, debits, transfers, holds with short
 * expiries, captures whole and partial, voids, reversals of entries and transfers). Whatever
 * interleaving happened, the money must add up to exactly what the clients were told, every
 * hold was settled at most once, and every entry and transfer reversed at most once.
 */
describe('bank: random concurrent operations on three instances', () => {
  const cluster = startInstancesOnTestDatabase(3);

  it('ends with every balance equal to its opening plus exactly the acknowledged changes', async () => {
    const seed = Number(process.env.BANK_SEED ?? Date.now() % 1_000_000);
    const userIds = [
      1,
      ...(await createUsers(
        cluster.instances[0].url,
        cluster.database,
        Array.from({ length: 19 }, () => 1_000),
      )),
    ];
    const books = new Books(await readOpening(cluster.database, userIds));

    const urls = cluster.instances.map((instance) => instance.url);
    const started = performance.now();
    await runWorkload(books, {
      urls,
      userIds,
      clients: 60,
      operationsPerClient: 50,
      random: seededRandom(seed),
    });
    if (BANK_FEATURES.holds) {
      await captureLeftovers(books, urls, SHORT_HOLD_SECONDS * 1000 + 100);
    }

    console.log(
      `bank (seed ${seed}, features ${JSON.stringify(BANK_FEATURES)}): ` +
        `${(performance.now() - started).toFixed(0)} ms; ` +
        `${books.holds.length} holds, ${books.captures.length} captured, ${books.voids.length} voided, ` +
        `${books.reversals.size} reversed`,
      books.counts,
    );
    expect(books.anomalies).toEqual([]);
    expect(books.uncertain).toEqual([]);
    expect(books.acknowledged.length).toBeGreaterThan(1_000);
    if (BANK_FEATURES.holds) {
      expect(books.captures.length).toBeGreaterThan(50);
      expect(books.voids.length).toBeGreaterThan(20);
      // Short holds expired unsettled, and were refused as such.
      expect(books.counts['409 HOLD_NOT_ACTIVE (expired)']).toBeGreaterThan(0);
    }
    if (BANK_FEATURES.reversals) {
      expect(books.reversals.size).toBeGreaterThan(20);
      // Reversals raced on the same entries and transfers, and all but one lost.
      expect(books.counts['409 ALREADY_REVERSED']).toBeGreaterThan(0);
      expect(
        await cluster.database.query(
          `SELECT r.id FROM balance_transactions r
           JOIN balance_transactions o ON o.id = r.reversal_of
           WHERE r.amount <> -o.amount OR r.user_id <> o.user_id
           UNION ALL
           SELECT r.id FROM transfers r JOIN transfers o ON o.id = r.reversal_of
           WHERE r.amount <> o.amount OR r.from_user_id <> o.to_user_id
              OR r.to_user_id <> o.from_user_id`,
        ),
      ).toEqual([]);
    }
    expect(
      await invariantViolations(cluster.database, books.expectations()),
    ).toEqual([]);
  });
});
