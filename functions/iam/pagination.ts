import { z } from '@hono/zod-openapi';
import { badRequest } from '../errors';

/** `limit` (1..200, default 50) and the opaque `cursor` every list route accepts. */
export const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(512).optional(),
});

export interface Page {
  limit: number;
  /** The sort key of the last item already returned; the next page starts after it. */
  after?: string;
}

/** The cursor is the last sort key, base64url-encoded so clients treat it as opaque. */
export function encodeCursor(key: string): string {
  return btoa(String.fromCharCode(...new TextEncoder().encode(key)))
    .replaceAll('+', '-')
    .replaceAll('/', '_')
    .replace(/=+$/, '');
}

export function decodeCursor(cursor: string): string {
  try {
    const bin = atob(cursor.replaceAll('-', '+').replaceAll('_', '/'));
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(
      Uint8Array.from(bin, (ch) => ch.charCodeAt(0)),
    );
  } catch {
    throw badRequest('Invalid cursor: pass back the nextCursor of a previous page unchanged.');
  }
}

export function toPage(query: { limit: number; cursor?: string | undefined }): Page {
  return query.cursor === undefined
    ? { limit: query.limit }
    : { limit: query.limit, after: decodeCursor(query.cursor) };
}

/**
 * Builds `{items, nextCursor?}` from rows fetched with `limit + 1`: the extra
 * row only tells that another page exists.
 */
export function pageOf<Row, Item>(
  rows: Row[],
  page: Page,
  keyOf: (row: Row) => string,
  toItem: (row: Row) => Item,
): { items: Item[]; nextCursor?: string } {
  const visible = rows.slice(0, page.limit);
  const items = visible.map(toItem);
  const last = visible.at(-1);
  return rows.length > page.limit && last !== undefined
    ? { items, nextCursor: encodeCursor(keyOf(last)) }
    : { items };
}

/** The response schema of a list of `item`. */
export const listOf = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), nextCursor: z.string().optional() });
