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
 * expiries, captures whole and partial, voids). Whatever interleaving happened, the money must
 * add up to exactly what the clients were told, and every hold was settled at most once.
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
        `${books.holds.length} holds, ${books.captures.length} captured, ${books.voids.length} voided`,
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
    expect(
      await invariantViolations(cluster.database, books.expectations()),
    ).toEqual([]);
  });
});
