import { and, desc, eq, isNull, lt, or } from 'drizzle-orm';
import { base64ToBytes, bytesToBase64Url } from '../../lib/crypto/base64';
import { randomToken, sha256Hex } from '../../lib/crypto/hash';
import type { Database } from '../client';
import { apiTokens } from '../schema';

export const API_TOKEN_PREFIX = 'et_';

export type ApiTokenRow = typeof apiTokens.$inferSelect;

/** An API token as listed: never the secret nor its hash. */
export interface ApiTokenView {
  id: string;
  name: string;
  scopes: string[];
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  createdAt: Date;
}

const view = (row: ApiTokenRow): ApiTokenView => ({
  id: row.id,
  name: row.name,
  scopes: row.scopes,
  expiresAt: row.expiresAt,
  lastUsedAt: row.lastUsedAt,
  createdAt: row.createdAt,
});

/** Creates a token `et_<base64url 32 bytes>`; the plain secret is returned here only. */
export async function createApiToken(
  db: Database,
  input: { userId: string; name: string; scopes: string[]; expiresAt: Date | null; now: Date },
): Promise<ApiTokenView & { token: string }> {
  const token = randomToken(API_TOKEN_PREFIX, 32);
  const [row] = await db
    .insert(apiTokens)
    .values({
      userId: input.userId,
      name: input.name,
      scopes: input.scopes,
      expiresAt: input.expiresAt,
      tokenHash: await sha256Hex(token),
      createdAt: input.now,
    })
    .returning();
  if (!row) throw new Error('insert returned no row');
  return { ...view(row), token };
}

/** The live (not revoked) token with this secret, if any; expiry is the caller's check. */
export async function findApiTokenBySecret(
  db: Database,
  token: string,
): Promise<ApiTokenRow | undefined> {
  return db.query.apiTokens.findFirst({
    where: and(eq(apiTokens.tokenHash, await sha256Hex(token)), isNull(apiTokens.revokedAt)),
  });
}

interface Cursor {
  createdAt: number;
  id: string;
}
const encodeCursor = (c: Cursor) =>
  bytesToBase64Url(new TextEncoder().encode(JSON.stringify([c.createdAt, c.id])));
function decodeCursor(cursor: string): Cursor | undefined {
  try {
    const value: unknown = JSON.parse(new TextDecoder().decode(base64ToBytes(cursor)));
    if (Array.isArray(value) && typeof value[0] === 'number' && typeof value[1] === 'string')
      return { createdAt: value[0], id: value[1] };
  } catch {}
  return undefined;
}

/** A user's live tokens, newest first, keyset-paginated; undefined for a malformed cursor. */
export async function listApiTokens(
  db: Database,
  userId: string,
  page: { limit: number; cursor?: string | undefined },
): Promise<{ items: ApiTokenView[]; nextCursor?: string } | undefined> {
  const after = page.cursor === undefined ? undefined : decodeCursor(page.cursor);
  if (page.cursor !== undefined && !after) return undefined;
  const rows = await db
    .select()
    .from(apiTokens)
    .where(
      and(
        eq(apiTokens.userId, userId),
        isNull(apiTokens.revokedAt),
        after
          ? or(
              lt(apiTokens.createdAt, new Date(after.createdAt)),
              and(eq(apiTokens.createdAt, new Date(after.createdAt)), lt(apiTokens.id, after.id)),
            )
          : undefined,
      ),
    )
    .orderBy(desc(apiTokens.createdAt), desc(apiTokens.id))
    .limit(page.limit + 1);
  const items = rows.slice(0, page.limit).map(view);
  const last = rows.length > page.limit ? rows[page.limit - 1] : undefined;
  return last
    ? { items, nextCursor: encodeCursor({ createdAt: last.createdAt.getTime(), id: last.id }) }
    : { items };
}

export async function findApiToken(db: Database, id: string): Promise<ApiTokenRow | undefined> {
  return db.query.apiTokens.findFirst({
    where: and(eq(apiTokens.id, id), isNull(apiTokens.revokedAt)),
  });
}

export async function revokeApiToken(db: Database, id: string, now: Date): Promise<void> {
  await db.update(apiTokens).set({ revokedAt: now }).where(eq(apiTokens.id, id));
}

/** Revokes the live token with this secret (RFC 7009); false when unknown. */
export async function revokeApiTokenBySecret(db: Database, token: string, now: Date) {
  const rows = await db
    .update(apiTokens)
    .set({ revokedAt: now })
    .where(and(eq(apiTokens.tokenHash, await sha256Hex(token)), isNull(apiTokens.revokedAt)))
    .returning({ id: apiTokens.id });
  return rows.length > 0;
}

/** Stamps lastUsedAt at most once per `resolutionMs`, so using a token is not a write each time. */
export async function touchApiToken(
  db: Database,
  row: ApiTokenRow,
  now: Date,
  resolutionMs = 60_000,
) {
  if (row.lastUsedAt && now.getTime() - row.lastUsedAt.getTime() < resolutionMs) return;
  await db.update(apiTokens).set({ lastUsedAt: now }).where(eq(apiTokens.id, row.id));
}
