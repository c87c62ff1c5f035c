import type { MiddlewareHandler } from 'hono';
import { createDb } from '../../db/client';
import type { AppEnv } from '../env';

/** Puts the drizzle client on the context; drizzle is a thin wrapper, cheap to make per request. */
export const database: MiddlewareHandler<AppEnv> = async function database(c, next) {
  c.set('db', createDb(c.env.DB));
  await next();
};
