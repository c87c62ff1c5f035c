import { eq, sql } from 'drizzle-orm';
import type { Database } from '../client';
import { loginThrottles } from '../schema';

export interface LockoutPolicy {
  maxFailures: number;
  windowSeconds: number;
  lockoutSeconds: number;
}

export type LoginClaim =
  /** The guess may be judged; `lockedUntil` is set when this was the window's last one. */
  | { ok: true; lockedUntil: Date | null }
  /** Locked: the guess must not be judged. */
  | { ok: false; lockedUntil: Date };

/**
 * Claims one guess for `key` in ONE atomic upsert, before it is judged, so
 * no number of parallel requests gets more than `maxFailures` judged per
 * window: a new window starts when the last is over; the claim that reaches
 * `maxFailures` locks the key for `lockoutSeconds` at once (a success then
 * clears it) and starts counting afresh; while locked nothing is claimed.
 */
export async function claimLoginAttempt(
  db: Database,
  key: string,
  now: Date,
  policy: LockoutPolicy,
): Promise<LoginClaim> {
  const nowMs = now.getTime();
  const lockEnd = nowMs + policy.lockoutSeconds * 1000;
  const windowOpen = sql`(${loginThrottles.windowStart} is not null and ${loginThrottles.windowStart} > ${nowMs - policy.windowSeconds * 1000})`;
  const count = sql`(case when ${windowOpen} then ${loginThrottles.attempts} + 1 else 1 end)`;
  const locks = sql`${count} >= ${policy.maxFailures}`;
  const firstLocks = policy.maxFailures <= 1;
  const [row] = await db
    .insert(loginThrottles)
    .values({
      key,
      attempts: firstLocks ? 0 : 1,
      windowStart: firstLocks ? null : now,
      lockedUntil: firstLocks ? new Date(lockEnd) : null,
    })
    .onConflictDoUpdate({
      target: loginThrottles.key,
      set: {
        lockedUntil: sql`case when ${locks} then ${lockEnd} else null end`,
        attempts: sql`case when ${locks} then 0 else ${count} end`,
        windowStart: sql`case when ${locks} then null when ${windowOpen} then ${loginThrottles.windowStart} else ${nowMs} end`,
      },
      setWhere: sql`${loginThrottles.lockedUntil} is null or ${loginThrottles.lockedUntil} <= ${nowMs}`,
    })
    .returning({ lockedUntil: loginThrottles.lockedUntil });
  if (row) return { ok: true, lockedUntil: row.lockedUntil };
  return { ok: false, lockedUntil: (await loginLockedUntil(db, key, now)) ?? new Date(lockEnd) };
}

/** The end of `key`'s lock, if it is locked at `now`. */
export async function loginLockedUntil(
  db: Database,
  key: string,
  now: Date,
): Promise<Date | undefined> {
  const row = await db
    .select({ lockedUntil: loginThrottles.lockedUntil })
    .from(loginThrottles)
    .where(eq(loginThrottles.key, key))
    .get();
  const until = row?.lockedUntil;
  return until && until.getTime() > now.getTime() ? until : undefined;
}

/** Forgets `key`'s guesses and lock (a success, or an admin setting a new password), unexecuted. */
export const clearLoginThrottle = (db: Database, key: string) =>
  db.delete(loginThrottles).where(eq(loginThrottles.key, key));

/** Drops rows whose window and lock are both over (the cron's clean-up). */
export async function deleteStaleLoginThrottles(db: Database, now: Date, windowSeconds: number) {
  const nowMs = now.getTime();
  await db
    .delete(loginThrottles)
    .where(
      sql`(${loginThrottles.lockedUntil} is null or ${loginThrottles.lockedUntil} <= ${nowMs}) and (${loginThrottles.windowStart} is null or ${loginThrottles.windowStart} <= ${nowMs - windowSeconds * 1000})`,
    );
}
