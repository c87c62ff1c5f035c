import type { Env } from '../../env';
import { assertUrlAllowed } from '../target-check';
import { defaultApiUrls } from '../targets';
import { composeMessage } from '../templates/compose';
import {
  PermanentFailure,
  permanentStatus,
  wecomAnswer,
  wecomPermanentCode,
  wecomStaleToken,
} from './provider-errors';
import { type OutboundRequest, postJson, type SendInput, str } from './types';

/** WeCom app messages: markdown content of at most 2048 bytes. */
const APP_LIMIT = { max: 2048, unit: 'bytes' } as const;
/** Renew a little before WeCom's expiry (7200 s) so no send races it. */
const EARLY_RENEWAL_MS = 300_000;

interface CachedToken {
  token: Promise<string>;
  expiresAt: number;
}

/**
 * Access tokens per (API, corp, secret), shared by the consumer's
 * deliveries in this isolate: WeCom rate-limits gettoken and hands out the
 * same token until it expires, so one fetch serves every send meanwhile.
 */
const tokens = new Map<string, CachedToken>();

async function cacheKey(api: string, corpId: string, secret: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(secret));
  const hex = [...new Uint8Array(digest).subarray(0, 8)]
    .map((b) => b.toString(16).padStart(2, '0'))
    .join('');
  return `${api}|${corpId}|${hex}`;
}

async function fetchToken(env: Env, api: string, corpId: string, secret: string, key: string) {
  const url = `${api}/cgi-bin/gettoken?corpid=${encodeURIComponent(corpId)}&corpsecret=${encodeURIComponent(secret)}`;
  assertUrlAllowed(env, url);
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000), redirect: 'manual' });
  const body = (await res.json().catch(() => null)) as {
    errcode?: number;
    errmsg?: string;
    access_token?: string;
    expires_in?: number;
  } | null;
  if (!res.ok || !body?.access_token || (body.errcode ?? 0) !== 0) {
    const error = `WeCom gettoken failed: ${body?.errcode ?? `HTTP ${res.status}`} ${body?.errmsg ?? ''}`;
    // A wrong corpId or secret, or an IP WeCom does not trust: no retry gets a token.
    const permanent =
      wecomPermanentCode(body?.errcode) || body?.errcode === 40001 || permanentStatus(res.status);
    throw permanent ? new PermanentFailure(error.trim()) : new Error(error.trim());
  }
  const entry = tokens.get(key);
  if (entry) entry.expiresAt = Date.now() + (body.expires_in ?? 7200) * 1000 - EARLY_RENEWAL_MS;
  return body.access_token;
}

/** A cached token, fetching one (once, however many sends ask at the same time) when none is valid. */
async function accessToken(env: Env, api: string, corpId: string, secret: string) {
  const key = await cacheKey(api, corpId, secret);
  const cached = tokens.get(key);
  if (cached && cached.expiresAt > Date.now()) return { key, token: await cached.token };
  const entry: CachedToken = { token: Promise.resolve(''), expiresAt: Number.POSITIVE_INFINITY };
  entry.token = fetchToken(env, api, corpId, secret, key);
  tokens.set(key, entry);
  try {
    return { key, token: await entry.token };
  } catch (error) {
    tokens.delete(key);
    throw error;
  }
}

/** Forgets every cached token (tests). */
export const forgetWecomTokens = () => tokens.clear();

/**
 * WeCom app ("self-built application"): gettoken with corpId + secret
 * (cached), then message/send as markdown to `toUser` / `toParty` /
 * `toTag` (everyone when none is set), with WeCom's duplicate check on so a
 * retried send within 30 minutes is not shown twice.
 */
export async function wecomAppRequests(env: Env, input: SendInput): Promise<OutboundRequest[]> {
  const { config, payload } = input;
  const api = str(config, 'apiUrl') || defaultApiUrls.wecom;
  const { key, token } = await accessToken(env, api, str(config, 'corpId'), str(config, 'secret'));
  const recipients: Record<string, string> = {};
  if (str(config, 'toUser')) recipients.touser = str(config, 'toUser');
  if (str(config, 'toParty')) recipients.toparty = str(config, 'toParty');
  if (str(config, 'toTag')) recipients.totag = str(config, 'toTag');
  if (Object.keys(recipients).length === 0) recipients.touser = '@all';
  const { parts } = composeMessage(payload, config, APP_LIMIT);
  return parts.map((content) => ({
    ...postJson(`${api}/cgi-bin/message/send?access_token=${encodeURIComponent(token)}`, {
      ...recipients,
      msgtype: 'markdown',
      agentid: config.agentId,
      markdown: { content },
      enable_duplicate_check: 1,
      duplicate_check_interval: 1800,
    }),
    accepted: (answer) => {
      const code = (answer as { errcode?: unknown } | null)?.errcode;
      if (typeof code !== 'number' || !wecomStaleToken.has(code)) return wecomAnswer(answer);
      // The cached token lapsed: forget it, and the retry fetches a new one.
      tokens.delete(key);
      return { error: `WeCom errcode ${code}: access token no longer valid`, permanent: false };
    },
  }));
}
