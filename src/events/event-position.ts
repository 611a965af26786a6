import { ValidationFailedError } from '../common/domain.error';

/**
 * A place in the feed: the (xid, id) of the last event served. The feed is ordered by it; xid
 * is a 64-bit xid8, kept as a bigint.
 */
export interface EventPosition {
  xid: bigint;
  id: number;
}

/** Before the first event. */
export const FEED_START: EventPosition = { xid: 0n, id: 0 };

const MAX_XID8 = 2n ** 64n - 1n;
const POSITION = /^(0|[1-9][0-9]{0,19})\.(0|[1-9][0-9]{0,15})$/;

export function isAfter(a: EventPosition, b: EventPosition): boolean {
  return a.xid > b.xid || (a.xid === b.xid && a.id > b.id);
}

/** Cursors are opaque to clients: the position, base64url-encoded. */
export function encodeCursor({ xid, id }: EventPosition): string {
  return Buffer.from(`${xid}.${id}`).toString('base64url');
}

export function decodeCursor(cursor: string): EventPosition {
  const match = POSITION.exec(Buffer.from(cursor, 'base64url').toString());
  const xid = match ? BigInt(match[1]) : undefined;
  const id = match ? Number(match[2]) : undefined;
  if (
    xid === undefined ||
    id === undefined ||
    xid > MAX_XID8 ||
    !Number.isSafeInteger(id) ||
    encodeCursor({ xid, id }) !== cursor
  ) {
    throw new ValidationFailedError('after is not a cursor this service gave');
  }
  return { xid, id };
}
