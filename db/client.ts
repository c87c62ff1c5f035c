import { type DrizzleD1Database, drizzle } from 'drizzle-orm/d1';
import * as schema from './schema';

/** Drizzle over D1, with the D1 binding itself (`$client`) for the few hand-written hot statements. */
export type Database = DrizzleD1Database<typeof schema> & { $client: D1Database };

export function createDb(d1: D1Database): Database {
  return drizzle(d1, { schema, casing: 'snake_case' });
}
