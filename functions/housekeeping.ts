import { createDb } from '../db/client';
import { collectDeleted } from '../db/queries/apps';
import { deleteExpiredLoginCodes } from '../db/queries/identity-login-codes';
import { deleteStaleLoginThrottles } from '../db/queries/login-throttles';
import { pruneDeliveries } from '../db/queries/notify-deliveries';
import { purgeRefreshTokens } from '../db/queries/refresh-tokens';
import { rotateSigningKeys } from './auth/signing-keys';
import type { Env } from './env';
import { log } from './log';
import { settings } from './settings';

type Task = (env: Env, now: Date) => Promise<unknown>;

const DAY_MS = 86_400_000;

/** What the cron trigger runs; owners of other areas add their tasks here. */
export const housekeepingTasks: Record<string, Task> = {
  // Without SECRETS_KEY there is nothing to sign with yet; the first login says how to fix it.
  'rotate-signing-keys': (env, now) =>
    env.SECRETS_KEY ? rotateSigningKeys(createDb(env.DB), env, now) : Promise.resolve(),
  // Rotated tokens stay until they expire (reuse detection needs them); dead ones go a day later.
  'purge-refresh-tokens': (env, now) =>
    purgeRefreshTokens(createDb(env.DB), new Date(now.getTime() - DAY_MS)),
  // One-time codes of browser sign-ins for CLIs live 60 s.
  'purge-login-codes': (env, now) => deleteExpiredLoginCodes(createDb(env.DB), now),
  // Lockout rows (one per guessed name, known or not) go once their window and lock are over.
  'purge-login-throttles': (env, now) =>
    deleteStaleLoginThrottles(createDb(env.DB), now, settings(env).loginFailureWindowSeconds),
  // Notification delivery history is kept 30 days.
  'prune-notification-history': (env, now) =>
    pruneDeliveries(createDb(env.DB), new Date(now.getTime() - 30 * DAY_MS)),
  // App deletions: tombstones past deleteTimeoutSeconds go, and apps nothing is owed for.
  'collect-deleted-apps': (env, now) => collectDeleted(createDb(env.DB), now),
};

/**
 * Runs every task even when one fails, logs failures as JSON and then fails
 * the invocation, so the cron's status shows it.
 */
export async function runHousekeeping(env: Env, now: Date): Promise<void> {
  const names = Object.keys(housekeepingTasks);
  const results = await Promise.allSettled(
    names.map((name) => housekeepingTasks[name]?.(env, now)),
  );
  const failed = names.filter((_, i) => results[i]?.status === 'rejected');
  results.forEach((result, i) => {
    if (result.status === 'rejected')
      log.error('housekeeping failed', { task: names[i], error: String(result.reason) });
  });
  if (failed.length > 0) throw new Error(`housekeeping failed: ${failed.join(', ')}`);
}
