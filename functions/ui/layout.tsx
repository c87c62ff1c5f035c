import type { Child } from 'hono/jsx';
import type { Principal } from '../../db/principal';
import { can, platformScope } from '../iam/authorize';
import { assets } from './assets';
import { CSRF_FIELD } from './csrf';
import { type I18n, localeNames, locales, type MessageKey } from './i18n';

export type Section =
  | 'overview'
  | 'clusters'
  | 'workspaces'
  | 'metering'
  | 'alerts'
  | 'audit'
  | 'none';

const sections: { id: Exclude<Section, 'none'>; href: string; label: MessageKey }[] = [
  { id: 'overview', href: '/ui', label: 'nav.overview' },
  { id: 'clusters', href: '/ui/clusters', label: 'nav.clusters' },
  { id: 'workspaces', href: '/ui/workspaces', label: 'nav.workspaces' },
  { id: 'metering', href: '/ui/metering', label: 'nav.metering' },
  { id: 'alerts', href: '/ui/alerts', label: 'nav.alerts' },
  { id: 'audit', href: '/ui/audit', label: 'nav.audit' },
];

/** Audit is for platform admins and workspace admins; others never see the link. */
export const mayReadAudit = (principal: Principal) =>
  can(principal, 'list', 'audit', platformScope) ||
  principal.bindings.some(
    (b) =>
      b.scopeType === 'workspace' &&
      can(principal, 'list', 'audit', { level: 'workspace', workspaceId: b.scopeId }),
  );

/** The hidden CSRF field every form carries. */
export const Csrf = ({ token }: { token: string }) => (
  <input type="hidden" name={CSRF_FIELD} value={token} />
);

export interface PageProps {
  i18n: I18n;
  title: string;
  csrf: string;
  /** Where the language form returns to. */
  path: string;
  section?: Section;
  /** The signed-in user, absent on the sign-in page. */
  user?: { principal: Principal; expiresAt: Date };
  children?: Child;
}

/** The page shell: landmarks (header, nav, main, footer), skip link, language and session forms. */
export function Page({ i18n, title, csrf, path, section = 'none', user, children }: PageProps) {
  const { t } = i18n;
  const visible = user
    ? sections.filter((s) => s.id !== 'audit' || mayReadAudit(user.principal))
    : [];
  return (
    <html lang={i18n.locale}>
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light dark" />
        {/* The app-wide header says no-referrer, under which browsers send
            `Origin: null` even on same-origin form posts, and the CSRF check
            reads Origin. same-origin still tells other sites nothing. */}
        <meta name="referrer" content="same-origin" />
        <title>{`${title} · ${t('app.name')}`}</title>
        {/* No favicon request (it would be a 404 on every page). */}
        <link rel="icon" href="data:," />
        <link rel="stylesheet" href={assets.css.path} />
        {user ? <script src={assets.js.path} defer /> : null}
      </head>
      <body>
        <a class="skip" href="#main">
          {t('app.skip')}
        </a>
        <header>
          <div class="bar">
            <a class="brand" href="/ui">
              {t('app.name')}
            </a>
            {user ? (
              <form method="post" action="/ui/sign-out">
                <Csrf token={csrf} />
                <button type="submit" class="quiet">
                  {t('signOut.submit')}
                </button>
              </form>
            ) : null}
          </div>
          {user ? (
            <nav aria-label={t('nav.label')}>
              <ul>
                {visible.map((s) => (
                  <li>
                    <a href={s.href} aria-current={s.id === section ? 'page' : undefined}>
                      {t(s.label)}
                    </a>
                  </li>
                ))}
              </ul>
            </nav>
          ) : null}
        </header>
        <main id="main">
          <h1>{title}</h1>
          {children}
          {/* Status changes the live script finds are read out here. */}
          {/* aria-live without role=status: the page's own notices keep that role to themselves. */}
          {user ? <p id="live-news" class="sr-only" aria-live="polite" aria-atomic="true" /> : null}
        </main>
        <footer>
          {user ? (
            <form method="post" action="/ui/session/refresh">
              <Csrf token={csrf} />
              <input type="hidden" name="next" value={path} />
              <span>
                {t('session.until', {
                  user: user.principal.username,
                  time: i18n.dateTime(user.expiresAt),
                })}
              </span>
              <button type="submit" class="quiet">
                {t('session.refresh')}
              </button>
            </form>
          ) : null}
          <form method="post" action="/ui/lang">
            <Csrf token={csrf} />
            <input type="hidden" name="next" value={path} />
            <label for="lang">{t('lang.label')}</label>
            <select id="lang" name="lang">
              {locales.map((l) => (
                <option value={l} selected={l === i18n.locale} lang={l}>
                  {localeNames[l]}
                </option>
              ))}
            </select>
            <button type="submit">{t('lang.apply')}</button>
          </form>
        </footer>
      </body>
    </html>
  );
}
