import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../env';
import { unauthorized } from '../errors';

// Placeholder until the token work lands: every API call is unauthenticated.
export const authenticate: MiddlewareHandler<AppEnv> = async function authenticate() {
  throw unauthorized();
};
