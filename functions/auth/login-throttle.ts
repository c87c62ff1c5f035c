import type { Database } from '../../db/client';
import {
  claimLoginAttempt,
  type LockoutPolicy,
  type LoginClaim,
} from '../../db/queries/login-throttles';
import { settings } from '../config';
import type { Env } from '../env';
import { ApiError } from '../errors';
import { canonicalLoginName } from './login-name';

export function lockoutPolicy(env: Env): LockoutPolicy {
  const config = settings(env);
  return {
    maxFailures: config.loginMaxFailures,
    windowSeconds: config.loginFailureWindowSeconds,
    lockoutSeconds: config.loginLockoutSeconds,
  };
}

/** A claimed password guess for a login name: judge it only when `ok`. */
export type ClaimedGuess = LoginClaim & { key: string };

/**
 * Claims one password guess against `username`'s canonical name, before
 * anything judges it (a local hash, a directory bind, a current-password
 * check): the one gate every password passes through.
 */
export async function claimGuess(
  db: Database,
  env: Env,
  username: string,
  now: Date,
): Promise<ClaimedGuess> {
  const key = canonicalLoginName(username);
  return { key, ...(await claimLoginAttempt(db, key, now, lockoutPolicy(env))) };
}

export const retryAfterSeconds = (until: Date, now: Date) =>
  Math.max(1, Math.ceil((until.getTime() - now.getTime()) / 1000));

/**
 * The one answer while a name is locked, whatever the password and whether
 * or not the name exists: nothing in it depends on either.
 */
export const lockedMessage = (seconds: number) =>
  `Too many failed logins: this account is locked; retry in ${seconds} s.`;

/** The locked answer of JSON API routes (a current-password check). */
export function accountLocked(until: Date, now: Date): ApiError {
  const seconds = retryAfterSeconds(until, now);
  return new ApiError(429, lockedMessage(seconds), {
    code: 'account_locked',
    headers: { 'retry-after': String(seconds) },
  });
}
