import { conflict } from '../errors';

/** Whether a D1 error (possibly wrapped by drizzle) is a UNIQUE or PRIMARY KEY violation. */
export function isUniqueViolation(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (/UNIQUE constraint failed|PRIMARY KEY constraint failed/i.test(e.message)) return true;
  }
  return false;
}

/** Runs a write; a uniqueness clash becomes 409 with `message` instead of a 500. */
export async function orConflict<T>(write: Promise<T>, message: string): Promise<T> {
  try {
    return await write;
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict(message);
    throw err;
  }
}
