import {
  type EventPosition,
  FEED_START,
} from '../../src/events/event-position';
import {
  type EventRow,
  EventsRepository,
} from '../../src/events/events.repository';
import { createTestDatabase } from '../utils/test-database';
import {
  bootDataLayer,
  lockingSession,
  NO_ANNOTATION,
  TEST_CALLER,
} from './data-layer';

describe('EventsRepository against PostgreSQL', () => {
  const layer = bootDataLayer();
  let events: EventsRepository;
  /** Past every event read so far. */
  let after: EventPosition = FEED_START;
  beforeAll(() => {
    events = layer.module.get(EventsRepository);
  });

  /** Reads the feed from `after` until `done` holds for what it read. */
  async function readUntil(
    done: (rows: EventRow[]) => boolean,
  ): Promise<EventRow[]> {
    const rows: EventRow[] = [];
    // Visibility waits for the oldest writing transaction of the whole cluster.
    const deadline = performance.now() + 30_000;
    while (!done(rows)) {
      expect(performance.now()).toBeLessThan(deadline);
      const page = await events.follow(after, 100, 5_000);
      rows.push(...page.items);
      after = page.next;
    }
    return rows;
  }

  const entryOf = (transactionId: number) => (rows: EventRow[]) =>
    rows.some((row) => Number(row.transaction_id) === transactionId);

  it('serves no event of a transaction that started after one still running, and then serves both, the older first', async () => {
    const { userId: early } = await layer.users.create(0, TEST_CALLER);
    const { userId: late } = await layer.users.create(0, TEST_CALLER);
    await readUntil((rows) =>
      rows.some((row) => row.type === 'opening' && row.user_id === late),
    );
    const session = await lockingSession(layer.database.url);
    try {
      await session.client.query('BEGIN');
      await session.client.query('SELECT pg_current_xact_id()');
      const committed = await layer.users.changeBalance(
        late,
        5,
        NO_ANNOTATION,
        TEST_CALLER,
      );
      // Committed, but behind a transaction that may still write an event before it.
      const hidden = await events.follow(after, 100, 300);
      expect(hidden.items.map((row) => row.transaction_id)).not.toContain(
        committed.transactionId,
      );
      expect(hidden.next).toEqual(after);
      const {
        rows: [{ transaction_id: older }],
      } = await session.client.query<{ transaction_id: number }>(
        'SELECT transaction_id FROM ledger_change_balance(p_user_id => $1, p_amount => 7)',
        [early],
      );
      await session.client.query('COMMIT');
      const served = await readUntil(entryOf(committed.transactionId));
      expect(
        served
          .filter((row) => [early, late].includes(row.user_id))
          .map((row) => Number(row.transaction_id)),
      ).toEqual([older, committed.transactionId]);
    } finally {
      await session.end();
    }
  });

  it("places a user's event after the user's previous one, though its transaction's xid is older", async () => {
    const { userId } = await layer.users.create(0, TEST_CALLER);
    await readUntil((rows) =>
      rows.some((row) => row.type === 'opening' && row.user_id === userId),
    );
    const session = await lockingSession(layer.database.url);
    try {
      await session.client.query('BEGIN');
      // Its xid is taken now, before the change below takes the user's lock.
      await session.client.query('SELECT pg_current_xact_id()');
      const first = await layer.users.changeBalance(
        userId,
        5,
        NO_ANNOTATION,
        TEST_CALLER,
      );
      const {
        rows: [{ transaction_id: second }],
      } = await session.client.query<{ transaction_id: number }>(
        'SELECT transaction_id FROM ledger_change_balance(p_user_id => $1, p_amount => 7)',
        [userId],
      );
      await session.client.query('COMMIT');
      const served = await readUntil(entryOf(second));
      expect(
        served
          .filter((row) => row.user_id === userId)
          .map((row) => Number(row.transaction_id)),
      ).toEqual([first.transactionId, second]);
      expect(served.map((row) => row.balance_after)).toEqual([5, 12]);
    } finally {
      await session.end();
    }
  });

  it('serves an event while a transaction of another database of the cluster, older than it, is still running', async () => {
    const other = await createTestDatabase();
    const foreign = await lockingSession(other.url);
    try {
      await foreign.client.query('BEGIN');
      await foreign.client.query('SELECT pg_current_xact_id()');
      const { userId } = await layer.users.create(3, TEST_CALLER);
      const served = await events.follow(after, 100, 2_000);
      expect(served.items.map((row) => [row.type, row.user_id])).toEqual([
        ['opening', userId],
      ]);
      after = served.next;
      await foreign.client.query('ROLLBACK');
    } finally {
      await foreign.end();
      await other.drop();
    }
  });

  it('answers a wait at its end with nothing and the same position when nothing happens', async () => {
    const started = performance.now();
    const page = await events.follow(after, 100, 500);
    expect(page).toEqual({ items: [], next: after });
    expect(performance.now() - started).toBeGreaterThanOrEqual(490);
  });
});
