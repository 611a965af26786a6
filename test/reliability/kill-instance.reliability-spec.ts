import { Books, readOpening, type Operation } from '../utils/bank';
import type { Outcome } from '../utils/burst';
import { send } from '../utils/client';
import { type Instance, startInstancesOnTestDatabase } from '../utils/instance';
import { invariantViolations } from '../utils/invariants';

const DEBITS = 3_000;
const AMOUNT = 5;

/**
 * An instance dies (SIGKILL: no shutdown hook, no drain) while thousands of debits are in flight
 * on three instances. PostgreSQL rolls back whatever the dead process had not committed.
 */
describe('an instance killed mid-burst', () => {
  const cluster = startInstancesOnTestDatabase(3);

  it('keeps every acknowledged debit, changes nothing else, and the others keep serving', async () => {
    const books = new Books(await readOpening(cluster.database, [1]));
    const [victim, ...survivors] = cluster.instances;
    const debit: Operation = { kind: 'debit', userId: 1, amount: AMOUNT };
    let answered = 0;
    let killedAt = -1;
    const fired = Array.from({ length: DEBITS }, (_, i) => {
      const instance = cluster.instances[i % cluster.instances.length];
      return send(instance.url, '/users/1/balance', {
        body: { amount: -AMOUNT },
      }).then((outcome): [Instance, Outcome] => {
        // Killed once a sixth of the burst is answered: the rest is in flight or queued.
        if (++answered === DEBITS / 6) {
          killedAt = answered;
          victim.process.kill('SIGKILL');
        }
        return [instance, outcome];
      });
    });
    const results = await Promise.all(fired);
    expect(await victim.exited).toBeNull();

    for (const [instance, outcome] of results) {
      books.record(debit, [outcome], instance === victim ? [0] : []);
    }
    const unanswered = books.uncertain.length;
    console.log(
      `killed after ${killedAt} answers; ${unanswered} debits to it unanswered`,
      books.counts,
    );
    expect(books.anomalies).toEqual([]);
    expect(unanswered).toBeGreaterThan(0);
    // The surviving instances answered every request they got, with a 200 or a 409.
    for (const [instance, outcome] of results) {
      if (instance !== victim) {
        expect([200, 409]).toContain(outcome.status);
      }
    }
    // Every 2xx debit is in the database; of the rest, only debits the dead instance got and
    // never answered may have been applied (committed just before the kill).
    expect(
      await invariantViolations(cluster.database, books.expectations()),
    ).toEqual([]);

    const [{ balance }] = await cluster.database.query<{ balance: number }>(
      'SELECT balance FROM users WHERE id = 1',
    );
    for (const survivor of survivors) {
      const credit = await send(survivor.url, '/users/1/balance', {
        body: { amount: 7 },
      });
      expect(credit.status).toBe(200);
    }
    const read = await send(survivors[0].url, '/users/1', { method: 'GET' });
    expect(read).toMatchObject({
      status: 200,
      body: { balance: balance + 7 * survivors.length },
    });
  });
});
