import { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from './env';
import { validationError } from './errors';

/**
 * Every router of the app is made here, so that every request validated by a
 * zod schema fails the same way: 400 with the failing fields.
 */
export function createRouter(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) throw validationError(result.error, result.target);
    },
  });
}

/** Security requirement for routes that need a bearer token (JWT or API token). */
export const bearerAuth = [{ bearerAuth: [] }];
