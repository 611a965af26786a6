import {
  BANK_FEATURES,
  Books,
  createUsers,
  readOpening,
  runWorkload,
  seededRandom,
} from '../utils/bank';
import { type Instance, startInstance } from '../utils/instance';
import { invariantViolations } from '../utils/invariants';
import { createTestDatabase, type TestDatabase } from '../utils/test-database';

/**
 * Jepsen's bank test, on our scale: three instances on one database, twenty users, thousands of
 * random operations from many concurrent clients. Whatever interleaving happened, the money must
 * add up to exactly what the clients were told.
 */
describe('bank: random concurrent operations on three instances', () => {
  let database: TestDatabase;
  let instances: Instance[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    for (let i = 0; i < 3; i++) {
      instances.push(await startInstance(database.url));
    }
  });

  afterAll(async () => {
    await Promise.all(instances.map((instance) => instance.stop()));
    instances = [];
    await database?.drop();
  });

  it('ends with every balance equal to its opening plus exactly the acknowledged changes', async () => {
    const seed = Number(process.env.BANK_SEED ?? Date.now() % 1_000_000);
    const userIds = [
      1,
      ...(await createUsers(
        instances[0].url,
        database,
        Array.from({ length: 19 }, () => 1_000),
      )),
    ];
    const books = new Books(await readOpening(database, userIds));

    const started = performance.now();
    await runWorkload(books, {
      urls: instances.map((instance) => instance.url),
      userIds,
      clients: 60,
      operationsPerClient: 50,
      random: seededRandom(seed),
    });

    console.log(
      `bank (seed ${seed}, features ${JSON.stringify(BANK_FEATURES)}): ` +
        `${(performance.now() - started).toFixed(0)} ms`,
      books.counts,
    );
    expect(books.anomalies).toEqual([]);
    expect(books.uncertain).toEqual([]);
    expect(books.acknowledged.length).toBeGreaterThan(1_000);
    expect(await invariantViolations(database, books.expectations())).toEqual(
      [],
    );
  });
});
