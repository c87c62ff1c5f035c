/**
 * Drives a browser sign-in end to end, as a browser would: edgetower's
 * /oauth/login/:idp -> the provider (its login form when it has one) ->
 * edgetower's callback. Works from workerd tests and from Node (bench).
 */

type EdgeFetch = (path: string, init?: RequestInit) => Promise<Response>;

function setCookies(res: Response): string[] {
  const headers = res.headers as unknown as {
    getSetCookie?: () => string[];
    getAll?: (name: string) => string[];
  };
  return headers.getSetCookie?.() ?? headers.getAll?.('set-cookie') ?? [];
}

/** A tiny cookie jar: name -> value (paths ignored: one host each). */
export class CookieJar {
  private readonly cookies = new Map<string, string>();
  take(res: Response) {
    for (const line of setCookies(res)) {
      const [pair = ''] = line.split(';');
      const eq = pair.indexOf('=');
      if (/expires=Thu, 01 Jan 1970|max-age=0/i.test(line)) this.cookies.delete(pair.slice(0, eq));
      else this.cookies.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
  }
  header() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

export interface SignInOptions {
  /** The provider's account to sign in as (OIDC devInteractions login). */
  account: string;
  /** Query of GET /oauth/login/:idp (a CLI's redirect_uri, state, code_challenge). */
  loginQuery?: Record<string, string>;
  /** Rewrites the authorization URL before following it (attacks, test servers' `login=`). */
  rewriteAuthorize?: (url: URL) => void;
}

export interface SignInDriver {
  /** Fetches a path on the edge under test. */
  edge: EdgeFetch;
  /** The origin edgetower puts in its callback URLs (PUBLIC_URL). */
  publicOrigin: string;
}

/**
 * Runs the flow up to the callback and returns `callback()`, which sends the
 * callback request (so a bench can time it alone).
 */
export async function prepareSignIn(
  driver: SignInDriver,
  idp: string,
  options: SignInOptions,
): Promise<() => Promise<Response>> {
  const edgeJar = new CookieJar();
  const idpJar = new CookieJar();
  const query = new URLSearchParams(options.loginQuery ?? {}).toString();
  const start = await driver.edge(`/oauth/login/${idp}${query ? `?${query}` : ''}`, {
    redirect: 'manual',
  });
  if (start.status !== 302) throw new Error(`login start: ${start.status} ${await start.text()}`);
  edgeJar.take(start);
  const authorize = new URL(start.headers.get('location') ?? '');
  options.rewriteAuthorize?.(authorize);
  let next = authorize.href;
  for (let hop = 0; hop < 10; hop++) {
    if (next.startsWith(`${driver.publicOrigin}/`)) {
      const path = next.slice(driver.publicOrigin.length);
      return () => driver.edge(path, { redirect: 'manual', headers: { cookie: edgeJar.header() } });
    }
    const url = new URL(next);
    const res = /^\/interaction\/[^/]+$/.test(url.pathname)
      ? await fetch(url, {
          method: 'POST',
          redirect: 'manual',
          headers: {
            cookie: idpJar.header(),
            'content-type': 'application/x-www-form-urlencoded',
          },
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
