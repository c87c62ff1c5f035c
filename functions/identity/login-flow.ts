import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { decryptSecret, encryptSecret } from '../crypto/secrets';
import type { AppEnv } from '../env';
import { ApiError, badRequest } from '../errors';

/**
 * What a browser sign-in must remember between the redirect to the provider
 * and the callback, sealed (AES-GCM, SECRETS_KEY) into a short-lived
 * HttpOnly cookie: no table to write on the way out, nothing to forge.
 */
export interface LoginFlow {
  idp: string;
  state: string;
  verifier?: string | undefined;
  nonce?: string | undefined;
  /** A CLI waiting on loopback for a one-time code. */
  cli?:
    | { redirectUri: string; state?: string | undefined; codeChallenge?: string | undefined }
    | undefined;
  /** Started from the dashboard's sign-in page: the callback opens a dashboard session. */
  ui?: { next: string } | undefined;
  expires: number;
}

const cookieName = 'edgetower_login';
export const flowSeconds = 600;

export async function saveFlow(c: Context<AppEnv>, flow: LoginFlow) {
  setCookie(c, cookieName, await encryptSecret(c.env.SECRETS_KEY, JSON.stringify(flow)), {
    path: `/oauth/callback/${flow.idp}`,
    httpOnly: true,
    secure: true,
    sameSite: 'Lax', // sent on the provider's top-level redirect back
    maxAge: flowSeconds,
  });
}

const expired = () =>
  new ApiError(400, 'This sign-in expired or was started in another browser; start it again.', {
    code: 'login_expired',
  });

/** The flow of this callback: the cookie must exist, decrypt, be fresh, and match `state`. */
export async function takeFlow(
  c: Context<AppEnv>,
  idp: string,
  state: string | undefined,
): Promise<LoginFlow> {
  const sealed = getCookie(c, cookieName);
  deleteCookie(c, cookieName, { path: `/oauth/callback/${idp}`, secure: true });
  if (!sealed) throw expired();
  let flow: LoginFlow;
  try {
    flow = JSON.parse(await decryptSecret(c.env.SECRETS_KEY, sealed)) as LoginFlow;
  } catch {
    throw expired();
  }
  if (flow.idp !== idp || flow.expires < Date.now()) throw expired();
  if (!state || state !== flow.state)
    throw badRequest('The sign-in state does not match: start again.');
  return flow;
}

/** RFC 8252 §7.3: a CLI's redirect_uri must be http on a loopback address. */
export function loopbackRedirect(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw badRequest('redirect_uri is not a URL.', [
      { path: 'redirect_uri', message: 'not a URL' },
    ]);
  }
  if (
    url.protocol !== 'http:' ||
    !['127.0.0.1', '[::1]', 'localhost'].includes(url.hostname) ||
    url.hash
  )
    throw badRequest('redirect_uri must be http://127.0.0.1:<port>/... (a CLI on loopback).', [
      { path: 'redirect_uri', message: 'not a loopback http URL' },
    ]);
  return url.href;
}
