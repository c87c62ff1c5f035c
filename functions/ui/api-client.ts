import type { Context, ExecutionContext } from 'hono';
import { signAccessToken } from '../auth/access-token';
import { currentSigningKey } from '../auth/signing-keys';
import { issuerUrl } from '../settings';
import type { ApiFetch, UiEnv } from './ui-env';

/** An in-process API answer: the status and the parsed JSON body (null when empty). */
export interface ApiAnswer<T> {
  status: number;
  ok: boolean;
  body: T;
}

/** Short: it only lives for one in-process call. */
const CALL_TOKEN_SECONDS = 60;

const forwarded = ['cf-connecting-ip', 'x-real-ip', 'user-agent', 'accept-language'];

function executionContext(c: Context<UiEnv>): ExecutionContext | undefined {
  try {
    return c.executionCtx;
  } catch {
    // app.request() in unit tests has none; the API then runs without waitUntil.
    return undefined;
  }
}

interface CallInit {
  method?: string;
  json?: unknown;
  form?: Record<string, string>;
  as?: 'user' | 'anonymous';
}

async function send(
  c: Context<UiEnv>,
  api: ApiFetch,
  path: string,
  init: CallInit,
): Promise<Response> {
  const headers = new Headers();
  for (const name of forwarded) {
    const value = c.req.header(name);
    if (value) headers.set(name, value);
  }
  let body: string | undefined;
  if (init.json !== undefined) {
    headers.set('content-type', 'application/json');
    body = JSON.stringify(init.json);
  } else if (init.form) {
    headers.set('content-type', 'application/x-www-form-urlencoded');
    body = new URLSearchParams(init.form).toString();
  }
  if ((init.as ?? 'user') === 'user') {
    const key = await currentSigningKey(c.get('db'), c.env);
    const { token } = await signAccessToken(key, c.get('principal'), {
      issuer: issuerUrl(c.env, c.req.url),
      ttlSeconds: CALL_TOKEN_SECONDS,
    });
    headers.set('authorization', `Bearer ${token}`);
  }
  const url = new URL(path, c.req.url);
  const response = await api(
    new Request(url, { method: init.method ?? 'GET', headers, body }),
    c.env,
    executionContext(c),
  );
  return response;
}

/** Like callApi, but the answer as it came (downloads: CSV bills). */
export const callApiRaw = (c: Context<UiEnv>, api: ApiFetch, path: string) =>
  send(c, api, path, {});

/**
 * Calls the edge's own API in-process and parses its JSON. `as: 'user'`
 * signs a one-minute access token for the session's principal, so the call
 * passes the same authenticate → can() → audit path as any client; `as:
 * 'anonymous'` is for the OAuth endpoints (sign-in, refresh, revoke).
 * Nothing leaves the isolate.
 */
export async function callApi<T = unknown>(
  c: Context<UiEnv>,
  api: ApiFetch,
  path: string,
  init: CallInit = {},
): Promise<ApiAnswer<T>> {
  const response = await send(c, api, path, init);
  const text = await response.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = text;
  }
  return { status: response.status, ok: response.ok, body: parsed as T };
}
