import { inject } from 'vitest';
import { call } from './auth';

/** The loopback OpenID provider from identity-global-setup.ts. */
export const oidcServer = () => inject('oidc');

/** A tiny cookie jar: name -> value from Set-Cookie headers (paths ignored: one host each). */
class Jar {
  private readonly cookies = new Map<string, string>();
  take(res: Response) {
    for (const line of res.headers.getAll('set-cookie')) {
      const [pair = ''] = line.split(';');
      const eq = pair.indexOf('=');
      const value = pair.slice(eq + 1);
      if (/expires=Thu, 01 Jan 1970/i.test(line) || /max-age=0/i.test(line))
        this.cookies.delete(pair.slice(0, eq));
      else this.cookies.set(pair.slice(0, eq), value);
    }
  }
  header() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

export interface FlowOptions {
  /** The provider's account id (sub) to sign in as. */
  account: string;
  /** Query of GET /oauth/login/:idp (a CLI's redirect_uri, state, code_challenge). */
  loginQuery?: Record<string, string>;
  /** Rewrites the authorization URL before the browser follows it (attacks). */
  rewriteAuthorize?: (url: URL) => void;
}

/**
 * Drives a browser sign-in end to end: edgetower -> provider (login form) ->
 * edgetower callback. Returns the callback's response, unread.
 */
export async function browserSignIn(idp: string, options: FlowOptions): Promise<Response> {
  const edge = new Jar();
  const idpJar = new Jar();
  const query = new URLSearchParams(options.loginQuery ?? {}).toString();
  const start = await call(`/oauth/login/${idp}${query ? `?${query}` : ''}`, {
    redirect: 'manual',
  });
  if (start.status !== 302) throw new Error(`login start: ${start.status} ${await start.text()}`);
  edge.take(start);
  const authorize = new URL(start.headers.get('location') ?? '');
  options.rewriteAuthorize?.(authorize);
  let next: string = authorize.href;
  for (let hop = 0; hop < 10; hop++) {
    if (next.startsWith('https://edge.test/')) {
      return call(next.slice('https://edge.test'.length), {
        redirect: 'manual',
        headers: { cookie: edge.header() },
      });
    }
    const url = new URL(next);
    const isForm = /^\/interaction\/[^/]+$/.test(url.pathname);
    const res = isForm
      ? await fetch(url, {
          method: 'POST',
          redirect: 'manual',
          headers: { cookie: idpJar.header(), 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ prompt: 'login', login: options.account, password: 'any' }),
        })
      : await fetch(url, { redirect: 'manual', headers: { cookie: idpJar.header() } });
    idpJar.take(res);
    const location = res.headers.get('location');
    if (!location)
      throw new Error(`provider stopped at ${url.pathname}: ${res.status} ${await res.text()}`);
    next = new URL(location, url).href;
  }
  throw new Error('too many redirects');
}
