import { fireBurst } from '../utils/burst';
import { startInstancesOnTestDatabase } from '../utils/instance';
import {
  expectDrainedByDebitsOfTwo,
  expectLedgerConsistent,
} from '../utils/invariants';

/**
 * The acceptance burst split over two production instances on one database: 10000 debits of 2
 * fired at once, over fresh sockets, at a balance of 10000. (On one instance, in process, it is
 * in the e2e suite.)
 */
describe('10000 simultaneous debits on 2 instances', () => {
  const cluster = startInstancesOnTestDatabase(2);

  it('applies exactly 5000, refuses exactly 5000 with INSUFFICIENT_FUNDS, and ends at 0', async () => {
    const burst = await fireBurst(
      cluster.instances.map((instance) => instance.url),
      '/users/1/balance',
      { amount: -2 },
      10_000,
    );

    console.log(
      `2 instances: ${burst.wallMs.toFixed(0)} ms for 10000 requests`,
      burst.counts,
    );
    // Every successful debit saw a distinct balance: none was lost or applied twice.
    await expectDrainedByDebitsOfTwo(burst, cluster.database, 5000);
    // The ledger explains it: the opening 10000, then exactly the 5000 acknowledged debits.
    expect(await expectLedgerConsistent(cluster.database)).toEqual(
      new Map([[1, 0]]),
    );
    expect(
      await cluster.database.query(
        "SELECT count(*)::int AS debits FROM balance_transactions WHERE type = 'debit'",
      ),
    ).toEqual([{ debits: 5000 }]);
  });
});
