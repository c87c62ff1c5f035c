/**
 * A uniqueness clash is an answer, not a failure: create queries return
 * ALREADY_EXISTS when a unique key is taken, and the route decides what that
 * means (a 409, a next candidate name, "nothing to do").
 */
export const ALREADY_EXISTS = 'already-exists' as const;
export type AlreadyExists = typeof ALREADY_EXISTS;

/** Whether a D1 error (possibly wrapped by drizzle) is a UNIQUE or PRIMARY KEY violation. */
export function isUniqueViolation(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (/UNIQUE constraint failed|PRIMARY KEY constraint failed/i.test(e.message)) return true;
  }
  return false;
}

/** Runs an insert; a uniqueness clash becomes ALREADY_EXISTS. */
export async function unlessExists<T>(write: Promise<T>): Promise<T | AlreadyExists> {
  try {
    return await write;
  } catch (error) {
    if (isUniqueViolation(error)) return ALREADY_EXISTS;
    throw error;
  }
}
