import type { I18n } from '../i18n';
import { Csrf } from '../layout';

export interface SignInProvider {
  name: string;
  displayName: string;
  loginPath?: string;
  password: boolean;
}

export interface SignInProps {
  i18n: I18n;
  csrf: string;
  next: string;
  providers: SignInProvider[];
  error?: string;
  username?: string;
}

/** A redirect provider's start, marked as the dashboard's (`ui=1`) so its callback opens a session. */
export function providerLoginHref(loginPath: string, next: string) {
  return `${loginPath}?${new URLSearchParams({ ui: '1', next }).toString()}`;
}

/**
 * Password sign-in (local accounts and the password-type providers of GET
 * /oauth/providers, LDAP) and a link per redirect provider (OIDC, OAuth2,
 * GitHub, CAS): those flows end in the same dashboard session.
 */
export function SignInBody({ i18n, csrf, next, providers, error, username }: SignInProps) {
  const { t } = i18n;
  const passwordProviders = providers.filter((p) => p.password && p.name !== 'local');
  const redirectProviders = providers.filter((p) => p.loginPath);
  return (
    <div class="card">
      {error ? (
        <p class="notice error" role="alert">
          {error}
        </p>
      ) : null}
      <form method="post" action="/ui/sign-in">
        <Csrf token={csrf} />
        <input type="hidden" name="next" value={next} />
        <label for="username">{t('signIn.username')}</label>
        <input
          id="username"
          name="username"
          autocomplete="username"
          required
          maxlength={256}
          value={username ?? ''}
        />
        <label for="password">{t('signIn.password')}</label>
        <input
          id="password"
          name="password"
          type="password"
          autocomplete="current-password"
          required
          maxlength={1024}
        />
        {passwordProviders.length > 0 ? (
          <>
            <label for="idp">{t('signIn.provider')}</label>
            <select id="idp" name="idp">
              <option value="local">{t('signIn.local')}</option>
              {passwordProviders.map((p) => (
                <option value={p.name}>{p.displayName}</option>
              ))}
            </select>
          </>
        ) : null}
        <p>
          <button type="submit">{t('signIn.submit')}</button>
        </p>
      </form>
      {redirectProviders.length > 0 ? (
        <section aria-labelledby="sign-in-with">
          <h2 id="sign-in-with">{t('signIn.with')}</h2>
          <ul class="providers">
            {redirectProviders.map((p) => (
              <li>
                <a class="button" href={providerLoginHref(p.loginPath ?? '', next)}>
                  {p.displayName}
                </a>
              </li>
            ))}
          </ul>
        </section>
      ) : null}
    </div>
  );
}
