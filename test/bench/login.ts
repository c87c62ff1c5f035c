import { testSecrets } from '../support/wrangler-dev';

/** An access token for the built-in admin, from the password grant at `edgeUrl` (wrangler dev). */
export async function loginAsAdmin(edgeUrl: string): Promise<string> {
  const login = await fetch(`${edgeUrl}/oauth/token`, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'password',
      username: 'admin',
      password: testSecrets.ADMIN_PASSWORD,
    }),
  });
  const { access_token: token } = (await login.json()) as { access_token: string };
  return token;
}
