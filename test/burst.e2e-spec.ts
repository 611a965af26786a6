import { bootAppOnTestDatabase, listen } from './utils/app';
import { fireBurstFromAnotherProcess } from './utils/burst';
import {
  expectDrainedByDebitsOfTwo,
  expectLedgerConsistent,
} from './utils/invariants';

/**
 * The acceptance test: 10000 debits of 2 fired at once, over fresh sockets to a real port, at a
 * balance of 10000, by a client in a process of its own. Exactly half can succeed; the other
 * half must be refused as insufficient funds.
 */
describe('10000 simultaneous debits', () => {
  const booted = bootAppOnTestDatabase();

  it('applies exactly 5000, refuses exactly 5000 with INSUFFICIENT_FUNDS, and ends at 0', async () => {
    const burst = await fireBurstFromAnotherProcess(
      [await listen(booted.app)],
      '/users/1/balance',
      { amount: -2 },
      10_000,
    );

    console.log(
      `${burst.wallMs.toFixed(0)} ms for 10000 requests`,
      burst.counts,
    );
    // Every successful debit saw a distinct balance: none was lost or applied twice.
    await expectDrainedByDebitsOfTwo(burst, booted.database, 5000);
    // The ledger explains it: the opening 10000, then exactly the 5000 acknowledged debits.
    expect(await expectLedgerConsistent(booted.database)).toEqual(
      new Map([[1, 0]]),
    );
    expect(
      await booted.database.query(
        "SELECT count(*)::int AS debits FROM balance_transactions WHERE type = 'debit'",
      ),
    ).toEqual([{ debits: 5000 }]);
  });
});
