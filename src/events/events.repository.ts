import { Injectable } from '@nestjs/common';
import { QueryTypes } from 'sequelize';
import { Sequelize } from 'sequelize-typescript';
import type { EventPosition } from './event-position';
import { EventsListener } from './events-listener';

export const HOLD_EVENT_TYPES = [
  'hold_placed',
  'hold_captured',
  'hold_voided',
] as const;

/** An event as the feed serves it, its details read from the rows it links. */
export interface EventRow {
  id: number;
  xid: string;
  /** A ledger type (`credit`, `transfer_in`, …) or one of HOLD_EVENT_TYPES. */
  type: string;
  user_id: number;
  /** Signed for ledger entries; a hold's amount (captured: what was taken) for hold events. */
  amount: number;
  balance_after: number | null;
  transaction_id: number | null;
  transfer_id: number | null;
  hold_id: number | null;
  reversal_of: number | null;
  reference: string | null;
  description: string | null;
  /** Null for changes made before actors were recorded. */
  actor: string | null;
  created_at: Date;
}

/**
 * The events after a position, in feed order. Only events whose xid is below the horizon of this
 * statement's snapshot (`events_horizon`, about the oldest transaction still running): their
 * transactions have all ended, and every event still to come will have an xid at or above it
 * (see docs/change-feed.md). One range of events_xid_id.
 */
const PAGE = `
  SELECT e.id, e.xid::text AS xid, e.type, e.user_id,
    coalesce(b.amount, CASE e.type WHEN 'hold_captured' THEN h.captured_amount ELSE h.amount END)
      AS amount,
    b.balance_after,
    coalesce(b.id, CASE e.type WHEN 'hold_captured' THEN h.transaction_id END)
      AS transaction_id,
    b.transfer_id,
    coalesce(b.hold_id, e.hold_id) AS hold_id,
    CASE WHEN b.id IS NULL THEN h.reference ELSE b.reference END AS reference,
    CASE WHEN b.id IS NULL THEN h.description ELSE b.description END AS description,
    CASE e.type WHEN 'hold_placed' THEN h.created_at
      WHEN 'hold_captured' THEN h.settled_at WHEN 'hold_voided' THEN h.settled_at
      ELSE b.created_at END AS created_at,
    coalesce(b.actor, h.actor) AS actor, b.reversal_of
  FROM events e
  LEFT JOIN balance_transactions b ON b.id = e.transaction_id
  LEFT JOIN holds h ON h.id = e.hold_id
  WHERE e.xid < events_horizon()
    AND (e.xid, e.id) > ($1::xid8, $2::bigint)
  ORDER BY e.xid, e.id
  LIMIT $3`;

/** A page of the feed and the position after it (`after` again when it is empty). */
export interface EventPage {
  items: EventRow[];
  next: EventPosition;
}

/**
 * The change feed: pages of events in (xid, id) order, read through the pool, and long polls
 * that wait on the instance's EventsListener, not on a connection.
 */
@Injectable()
export class EventsRepository {
  /** Reads in flight, by position and limit: consumers caught up with the head share one. */
  private readonly reading = new Map<string, Promise<EventRow[]>>();

  constructor(
    private readonly sequelize: Sequelize,
    private readonly listener: EventsListener,
  ) {}

  /**
   * Up to `limit` events after `after`; when there are none yet, waits up to `waitMs` for one
   * to become visible.
   */
  async follow(
    after: EventPosition,
    limit: number,
    waitMs: number,
  ): Promise<EventPage> {
    const deadline = performance.now() + waitMs;
    let items = await this.read(after, limit);
    while (
      items.length === 0 &&
      performance.now() < deadline &&
      !this.listener.isStopped
    ) {
      await this.listener.waitPast(after, deadline - performance.now());
      items = await this.read(after, limit);
    }
    const last = items.at(-1);
    return {
      items,
      next: last ? { xid: BigInt(last.xid), id: last.id } : after,
    };
  }

  private read(after: EventPosition, limit: number): Promise<EventRow[]> {
    const key = `${after.xid}.${after.id}.${limit}`;
    let reading = this.reading.get(key);
    if (!reading) {
      reading = this.sequelize
        .query<EventRow>(PAGE, {
          bind: [after.xid.toString(), after.id, limit],
          type: QueryTypes.SELECT,
        })
        .finally(() => this.reading.delete(key));
      this.reading.set(key, reading);
    }
    return reading;
  }
}
