import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** The people the test OIDC provider knows (any password signs in: devInteractions). */
export const oidcAccounts: Record<string, Record<string, unknown>> = {
  'carol-sub-1': {
    sub: 'carol-sub-1',
    preferred_username: 'Carol_Jones',
    name: 'Carol Jones',
    email: 'carol@example.org',
    groups: ['sre', 'everyone'],
  },
  'dave-sub-2': {
    sub: 'dave-sub-2',
    preferred_username: 'dave',
    email: 'dave@example.org',
    groups: [],
  },
};

export const oidcClient = { clientId: 'edgetower', clientSecret: 'oidc-client-secret-for-tests' };

/** Provider names the tests and bench register, for the client's redirect URIs. */
const callbackIdps = ['corp-oidc', 'lookup-oidc', 'bench-oidc', 'tamper-oidc', 'nonce-oidc'];

export interface OidcTestProvider {
  issuer: string;
  /** Milliseconds the provider spent on each token request (the bench subtracts them). */
  tokenTimings: number[];
  stop(): Promise<void>;
}

/**
 * A real OpenID provider (the `oidc-provider` package) on loopback. Test
 * hook: `POST /__tamper` makes the next token response carry an id_token
 * with a corrupted signature, as a man in the middle would.
 */
export async function startOidcProvider(
  options: { redirectUris?: string[] } = {},
): Promise<OidcTestProvider> {
  let tamperNext = false;
  const tokenTimings: number[] = [];
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // It warns (console) about its development defaults, which is what a test wants: keep runs quiet.
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (!String(args[0]).startsWith('oidc-provider WARNING')) warn(...args);
  };
  const { default: Provider } = await import('oidc-provider');
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: oidcClient.clientId,
        client_secret: oidcClient.clientSecret,
        redirect_uris: [
          ...callbackIdps.map((idp) => `https://edge.test/oauth/callback/${idp}`),
          // Callbacks of an edge on another origin (a `wrangler dev` port for the browser test).
          ...(options.redirectUris ?? []),
        ],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    async findAccount(_ctx, sub) {
      return { accountId: sub, claims: async () => oidcAccounts[sub] ?? { sub } };
    },
    claims: {
      openid: ['sub'],
      profile: ['preferred_username', 'name'],
      email: ['email'],
      groups: ['groups'],
    },
    conformIdTokenClaims: false,
    ttl: {
      AccessToken: 600,
      AuthorizationCode: 60,
      Grant: 600,
      IdToken: 600,
      Interaction: 600,
      Session: 600,
    },
    pkce: { required: () => true },
    cookies: { keys: ['oidc-test-cookie-key'] },
    // Consent is granted up front, so a sign-in is login -> code.
    async loadExistingGrant(ctx) {
      const session = ctx.oidc.session;
      const client = ctx.oidc.client;
      if (!session?.accountId || !client) return undefined;
      const grant = new ctx.oidc.provider.Grant({
        clientId: client.clientId,
        accountId: session.accountId,
      });
      grant.addOIDCScope('openid profile email groups');
      await grant.save();
      return grant;
    },
  });
  const callback = provider.callback();
  console.warn = warn;
  server.on('request', (req, res) => {
    if (req.url === '/__tamper' && req.method === 'POST') {
      tamperNext = true;
      res.writeHead(204).end();
      return;
    }
    if (req.url === '/token') {
      const started = performance.now();
      res.once('finish', () => tokenTimings.push(performance.now() - started));
    }
    if (req.url === '/token' && tamperNext) {
      tamperNext = false;
      const end = res.end.bind(res);
      res.end = ((chunk: unknown, ...rest: unknown[]) => {
        if (typeof chunk === 'string' || Buffer.isBuffer(chunk)) {
          const body = JSON.parse(String(chunk)) as { id_token?: string };
          if (body.id_token) {
            const [h, p, s = ''] = body.id_token.split('.');
            const i = Math.floor(s.length / 2);
            body.id_token = `${h}.${p}.${s.slice(0, i)}${s[i] === 'A' ? 'B' : 'A'}${s.slice(i + 1)}`;
          }
          return end(JSON.stringify(body), ...(rest as []));
        }
        return end(chunk as string, ...(rest as []));
      }) as typeof res.end;
    }
    callback(req, res);
  });
  return {
    issuer,
    tokenTimings,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
