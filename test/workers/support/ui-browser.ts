import { fetchWorker } from './fixture';

/** The origin fetchWorker serves (forms send it as Origin, like a browser). */
export const ORIGIN = 'https://edge.test';

/** A browser's cookie jar over fetchWorker: keeps what Set-Cookie gives, sends it back. */
export class Browser {
  readonly cookies = new Map<string, string>();

  async get(path: string, headers: Record<string, string> = {}) {
    return this.#send(path, { headers: { accept: 'text/html', ...headers } });
  }

  async post(path: string, fields: Record<string, string>, headers: Record<string, string> = {}) {
    return this.#send(path, {
      method: 'POST',
      headers: {
        accept: 'text/html',
        origin: ORIGIN,
        'content-type': 'application/x-www-form-urlencoded',
        ...headers,
      },
      body: new URLSearchParams(fields).toString(),
    });
  }

  /** The CSRF token a page put into its forms (the cookie's value, double submit). */
  get csrf(): string {
    return this.cookies.get('__Host-et_csrf') ?? '';
  }

  async signIn(username: string, password: string) {
    await this.get('/ui/sign-in');
    return this.post('/ui/sign-in', { _csrf: this.csrf, username, password });
  }

  async #send(path: string, init: RequestInit) {
    const headers = new Headers(init.headers);
    if (this.cookies.size)
      headers.set('cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    const res = await fetchWorker(path, { ...init, headers, redirect: 'manual' });
    for (const line of res.headers.getAll('set-cookie')) {
      const [pair = ''] = line.split(';');
      const [name = '', value = ''] = pair.split('=');
      if (/max-age=0/i.test(line) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return res;
  }
}
