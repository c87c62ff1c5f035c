import type { Context } from 'hono';
import { decryptSecret, encryptSecret } from '../crypto/secrets';
import { clearCookie, readCookie, writeCookie } from './cookies';
import type { UiEnv } from './ui-env';

/** What a form made that can be shown only once: a join token, or an edge node's join command. */
export interface OneTime {
  kind: 'join-token' | 'edge-command';
  cluster: string;
  value: string;
}

/** Long enough to follow the redirect on a slow phone; the page clears it at once anyway. */
const ONE_TIME_SECONDS = 300;

interface Sealed extends OneTime {
  user: string;
  until: number;
}

/**
 * Post/redirect/get for forms whose answer is a secret: the POST keeps the
 * secret in a short-lived cookie sealed with SECRETS_KEY (AES-GCM; HttpOnly,
 * Secure, SameSite=Lax) and redirects; the GET shows it once and clears the
 * cookie. Reloading the result page shows "already shown" — it never posts
 * again (which would rotate a token a second time).
 */
export async function keepOnce(c: Context<UiEnv>, secret: OneTime) {
  const sealed: Sealed = {
    ...secret,
    user: c.get('session').userId,
    until: Date.now() + ONE_TIME_SECONDS * 1000,
  };
  const value = await encryptSecret(c.env.SECRETS_KEY, JSON.stringify(sealed));
  writeCookie(c, 'once', value, { maxAgeSeconds: ONE_TIME_SECONDS });
}

/** The kept secret of this kind and cluster, for this user, once; undefined after. */
export async function takeOnce(
  c: Context<UiEnv>,
  kind: OneTime['kind'],
  cluster: string,
): Promise<string | undefined> {
  const raw = readCookie(c, 'once');
  if (!raw) return undefined;
  let kept: Sealed;
  try {
    kept = JSON.parse(await decryptSecret(c.env.SECRETS_KEY, raw)) as Sealed;
  } catch {
    clearCookie(c, 'once');
    return undefined;
  }
  if (kept.kind !== kind || kept.cluster !== cluster) return undefined;
  clearCookie(c, 'once');
  if (kept.user !== c.get('session').userId || kept.until < Date.now()) return undefined;
  return kept.value;
}
