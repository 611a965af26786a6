import { ApiProperty } from '@nestjs/swagger';
import { ValidationFailedError } from './domain.error';

/** How a page of a listing is asked for. */
export interface PageRequest {
  limit: number;
  cursor?: string;
}

/** A page of items, newest first, and the cursor of the next (older) one; null on the last. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/**
 * A page by keyset on the items' ids, newest first: `fetch` reads up to `limit` items older
 * than `before` (all when undefined). New items never shift the pages still to read.
 */
export async function keysetPage<T extends { id: number }>(
  limit: number,
  cursor: string | undefined,
  fetch: (limit: number, before: number | undefined) => Promise<T[]>,
): Promise<Page<T>> {
  const items = await fetch(
    limit + 1,
    cursor === undefined ? undefined : decodeCursor(cursor),
  );
  const page = items.slice(0, limit);
  return {
    items: page,
    nextCursor:
      items.length > limit ? encodeCursor(page[page.length - 1].id) : null,
  };
}

/** The docs of a page's `nextCursor`. */
export const NextCursorProperty = () =>
  ApiProperty({
    type: 'string',
    nullable: true,
    example: 'Ng',
    description:
      'Pass as `cursor` for the next (older) page; null on the last page',
  });

/** Cursors are opaque to clients: the id of the last item seen, base64url-encoded. */
function encodeCursor(id: number): string {
  return Buffer.from(String(id)).toString('base64url');
}

function decodeCursor(cursor: string): number {
  const id = Buffer.from(cursor, 'base64url').toString();
  if (!/^[1-9][0-9]{0,15}$/.test(id)) {
    throw new ValidationFailedError('cursor is not a cursor this service gave');
  }
  return Number(id);
}
