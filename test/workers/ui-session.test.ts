import { beforeAll, describe, expect, it } from 'vitest';
import { assets } from '../../functions/ui/assets';
import { CONTENT_SECURITY_POLICY } from '../../functions/ui/security-headers';
import { fetchWorker, passwordOf, seedFixture } from './support/fixture';
import { Browser, ORIGIN } from './support/ui-browser';

beforeAll(async () => {
  await seedFixture();
});

describe('the dashboard session', () => {
  it('sends browsers from / and from pages behind sign-in to the sign-in page', async () => {
    const browser = new Browser();
    const root = await browser.get('/');
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('/ui');
    const api = await fetchWorker('/', { headers: { accept: 'application/json' } });
    expect(api.status).toBe(404);
    expect(await api.json()).toMatchObject({ code: 'not_found', requestId: expect.any(String) });
    const page = await browser.get('/ui/clusters?limit=5');
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/ui/sign-in?next=%2Fui%2Fclusters%3Flimit%3D5');
  });

  it('serves the sign-in page with a strict CSP and a CSRF cookie its form carries', async () => {
    const browser = new Browser();
    const res = await browser.get('/ui/sign-in');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(CONTENT_SECURITY_POLICY).toContain("default-src 'self'");
    expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe-inline');
    const setCookie = res.headers.getAll('set-cookie').find((l) => l.startsWith('__Host-et_csrf='));
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/Secure/i);
    expect(setCookie).toMatch(/SameSite=Lax/i);
    const html = await res.text();
    expect(html.startsWith('<!doctype html><html lang="en">')).toBe(true);
    expect(html).toContain(`name="_csrf" value="${browser.csrf}"`);
    expect(html).not.toMatch(/<script>|<style|style="/);
  });

  it('refuses forms without the CSRF token or from another origin', async () => {
    const browser = new Browser();
    await browser.get('/ui/sign-in');
    const fields = { username: 'admin', password: 'x' };
    const missing = await browser.post('/ui/sign-in', fields);
    expect(missing.status).toBe(403);
    expect(await missing.text()).toContain('csrf_failed');
    const wrong = await browser.post('/ui/sign-in', { ...fields, _csrf: 'A'.repeat(43) });
    expect(wrong.status).toBe(403);
    const foreign = await browser.post(
      '/ui/sign-in',
      { ...fields, _csrf: browser.csrf },
      { origin: 'https://evil.example' },
    );
    expect(foreign.status).toBe(403);
    const crossSite = await browser.post(
      '/ui/sign-in',
      { ...fields, _csrf: browser.csrf },
      { 'sec-fetch-site': 'cross-site' },
    );
    expect(crossSite.status).toBe(403);
    const json = await fetchWorker('/ui/sign-in', {
      method: 'POST',
      headers: { origin: ORIGIN, 'content-type': 'application/json', accept: 'application/json' },
      body: '{}',
    });
    expect(json.status).toBe(415);
    expect(await json.json()).toMatchObject({ code: 'unsupported_media_type' });
  });

  it('rejects bad credentials and bad input with a clear message', async () => {
    const browser = new Browser();
    const bad = await browser.signIn('alpha-viewer', 'not-the-password');
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('Invalid username or password.');
    expect(browser.cookies.has('__Host-et_session')).toBe(false);
    const empty = await browser.post(
      '/ui/sign-in',
      { _csrf: browser.csrf, username: '', password: '' },
      { accept: 'application/json' },
    );
    expect(empty.status).toBe(400);
    expect(await empty.json()).toMatchObject({ code: 'validation_failed' });
  });

  it('signs in to an HttpOnly Secure SameSite=Lax session cookie holding an opaque reference', async () => {
    const browser = new Browser();
    const res = await browser.signIn('alpha-viewer', passwordOf('alpha-viewer'));
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/ui');
    const line = res.headers.getAll('set-cookie').find((l) => l.startsWith('__Host-et_session='));
    expect(line).toMatch(/HttpOnly/i);
    expect(line).toMatch(/Secure/i);
    expect(line).toMatch(/SameSite=Lax/i);
    expect(line).toMatch(/Path=\//);
    // Not a JWT: nothing in it a script (or anyone) could read.
    expect(browser.cookies.get('__Host-et_session')).not.toContain('.');
    const page = await browser.get('/ui');
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('Signed in as alpha-viewer');
    expect(html).toContain(`src="${assets.js.path}"`);
  });

  it('sends the browser back where it wanted to go, but only inside the dashboard', async () => {
    const browser = new Browser();
    await browser.get('/ui/sign-in');
    const back = await browser.post('/ui/sign-in', {
      _csrf: browser.csrf,
      username: 'east-viewer',
      password: passwordOf('east-viewer'),
      next: '/ui/alerts',
    });
    expect(back.headers.get('location')).toBe('/ui/alerts');
    const other = new Browser();
    await other.get('/ui/sign-in');
    const away = await other.post('/ui/sign-in', {
      _csrf: other.csrf,
      username: 'east-viewer',
      password: passwordOf('east-viewer'),
      next: '//evil.example/ui',
    });
    expect(away.headers.get('location')).toBe('/ui');
  });

  it('refreshes (rotating the reference) and signs out (revoking it)', async () => {
    const browser = new Browser();
    await browser.signIn('beta-viewer', passwordOf('beta-viewer'));
    const first = browser.cookies.get('__Host-et_session')!;
    const refreshed = await browser.post('/ui/session/refresh', {
      _csrf: browser.csrf,
      next: '/ui/clusters',
    });
    expect(refreshed.status).toBe(303);
    expect(refreshed.headers.get('location')).toBe('/ui/clusters');
    const second = browser.cookies.get('__Host-et_session')!;
    expect(second).not.toBe(first);
    const stale = await fetchWorker('/ui', {
      headers: { cookie: `__Host-et_session=${first}` },
      redirect: 'manual',
    });
    expect(stale.status).toBe(303);
    expect((await browser.get('/ui')).status).toBe(200);

    const out = await browser.post('/ui/sign-out', { _csrf: browser.csrf });
    expect(out.status).toBe(303);
    expect(out.headers.get('location')).toBe('/ui/sign-in');
    expect(browser.cookies.has('__Host-et_session')).toBe(false);
    const replay = await fetchWorker('/ui', {
      headers: { cookie: `__Host-et_session=${second}` },
      redirect: 'manual',
    });
    expect(replay.status).toBe(303);
  });

  it('remembers the language in a cookie and formats for it', async () => {
    const browser = new Browser();
    await browser.signIn('admin', 'admin-password-for-tests');
    const switched = await browser.post('/ui/lang', {
      _csrf: browser.csrf,
      lang: 'zh',
      next: '/ui',
    });
    expect(switched.status).toBe(303);
    expect(browser.cookies.get('__Host-et_lang')).toBe('zh');
    const html = await (await browser.get('/ui')).text();
    expect(html).toContain('<html lang="zh">');
    expect(html).toContain('概览');
    const bad = await browser.post(
      '/ui/lang',
      { _csrf: browser.csrf, lang: 'xx' },
      { accept: 'application/json' },
    );
    expect(bad.status).toBe(400);
    // Without a cookie, Accept-Language decides: zh-Hant reads traditional.
    const anon = await fetchWorker('/ui/sign-in', {
      headers: { 'accept-language': 'fr;q=0.9, zh-Hant-TW;q=0.8, en;q=0.5' },
    });
    expect(await anon.text()).toContain('<html lang="zh-TW">');
  });

  it('renders every language with its own words and Intl formats', async () => {
    const expected = {
      en: ['Sign in', 'Username'],
      zh: ['登录', '用户名'],
      'zh-TW': ['登入', '使用者名稱'],
      es: ['Iniciar sesión', 'Usuario'],
    } as const;
    for (const [lang, words] of Object.entries(expected)) {
      const res = await fetchWorker('/ui/sign-in', {
        headers: { cookie: `__Host-et_lang=${lang}` },
      });
      const html = await res.text();
      expect(html).toContain(`<html lang="${lang}">`);
      for (const word of words) expect(html).toContain(word);
    }
    const { i18nFor } = await import('../../functions/ui/i18n');
    expect(i18nFor('es').number(1234567.5)).toBe('1.234.567,5');
    expect(i18nFor('en').money(12.5, 'USD')).toBe('$12.50');
    expect(i18nFor('zh').dateTime('2026-12-01T22:00:00Z')).toContain('2026年12月1日');
    expect(i18nFor('zh-TW').t('overview.ready', { ready: 3, total: 4 })).toBe('4 個中 3 個就緒');
  });

  it('serves the stylesheet and script from hashed, immutable URLs', async () => {
    for (const asset of Object.values(assets)) {
      expect(asset.path).toMatch(/\.[0-9a-f]{8}\.(css|js)$/);
      const res = await fetchWorker(asset.path);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe(asset.type);
      expect(res.headers.get('cache-control')).toContain('immutable');
      expect(await res.text()).toBe(asset.body);
    }
  });
});
