import type { Filter } from 'mongodb';

/**
 * Keyset pagination over (createdAt desc, _id desc), the order every list
 * endpoint uses: the cursor is the last item's (createdAt, _id), base64url JSON.
 */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export function encodeCursor(doc: { createdAt: Date; _id: string }): string {
  return Buffer.from(JSON.stringify([doc.createdAt.getTime(), doc._id])).toString('base64url');
}

export function decodeCursor(cursor: string): { createdAt: Date; id: string } | undefined {
  try {
    const [t, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as [unknown, unknown];
    if (typeof t === 'number' && typeof id === 'string') return { createdAt: new Date(t), id };
  } catch {
    // fall through: an unreadable cursor is a validation error for the caller
  }
  return undefined;
}

/** The filter clause for "after this cursor" (undefined cursor: no clause). */
export function afterCursor<T extends { createdAt: Date; _id: string }>(cursor: string | undefined): Filter<T> {
  const after = cursor ? decodeCursor(cursor) : undefined;
  if (!after) return {};
  return {
    $or: [{ createdAt: { $lt: after.createdAt } }, { createdAt: after.createdAt, _id: { $lt: after.id } }],
  } as Filter<T>;
}

/** Cuts a `limit + 1` fetch into a page. */
export function toPage<T extends { createdAt: Date; _id: string }>(docs: T[], limit: number): Page<T> {
  const items = docs.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextCursor: docs.length > limit && last ? encodeCursor(last) : null };
}
