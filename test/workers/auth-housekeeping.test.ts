import { createScheduledController } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import worker from '../../functions/index';
import { ADMIN, loginTokens, postForm } from './support/auth';

const DAY = 86_400_000;
const count = async (table: string) =>
  (await env.DB.prepare(`select count(*) as n from ${table}`).first<{ n: number }>())?.n;
const runCron = (at: number) =>
  worker.scheduled(createScheduledController({ scheduledTime: at, cron: '*/15 * * * *' }), env);

afterEach(() => {
  vi.useRealTimers();
});

describe('scheduled housekeeping', () => {
  it('makes the first signing key on a fresh install, and only one', async () => {
    await runCron(Date.now());
    await runCron(Date.now());
    expect(await count('signing_keys')).toBe(1);
  });

  it('keeps live and rotated refresh tokens, drops dead ones a day later', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const start = Date.now();
    const revoked = await loginTokens(ADMIN.username, ADMIN.password);
    await postForm('/oauth/revoke', { token: revoked.refresh_token });
    const rotated = await loginTokens(ADMIN.username, ADMIN.password);
    await postForm('/oauth/token', {
      grant_type: 'refresh_token',
      refresh_token: rotated.refresh_token,
    });
    expect(await count('refresh_tokens')).toBe(3);

    await runCron(start + DAY / 2);
    expect(await count('refresh_tokens')).toBe(3);
    // The revoked one goes a day after its revocation; the rotated one and its
    // successor stay (reuse detection needs the rotated one until it expires).
    await runCron(start + DAY + 1000);
    expect(await count('refresh_tokens')).toBe(2);
    // 30 days of refresh lifetime plus a day: everything has expired and gone.
    vi.setSystemTime(start + 31 * DAY + 1000);
    await runCron(Date.now());
    expect(await count('refresh_tokens')).toBe(0);
  });
});
