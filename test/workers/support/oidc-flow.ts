import { inject } from 'vitest';
import { prepareSignIn, type SignInOptions } from '../../support/browser-sign-in';
import { call } from './auth';

/** The loopback OpenID provider from identity-global-setup.ts. */
export const oidcServer = () => inject('oidc');

/** A whole browser sign-in against the worker under test; returns the callback's response. */
export async function browserSignIn(idp: string, options: SignInOptions): Promise<Response> {
  const callback = await prepareSignIn(
    { edge: call, publicOrigin: 'https://edge.test' },
    idp,
    options,
  );
  return callback();
}
