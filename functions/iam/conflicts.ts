import { ALREADY_EXISTS, type AlreadyExists, isUniqueViolation } from '../../db/unique';
import { conflict } from '../errors';

/**
 * Runs a write and turns a uniqueness clash into 409 with `message` instead
 * of a 500: a query's ALREADY_EXISTS answer, or the constraint error of a
 * plain insert.
 */
export async function orConflict<T>(
  write: Promise<T | AlreadyExists>,
  message: string,
): Promise<T> {
  let result: T | AlreadyExists;
  try {
    result = await write;
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict(message);
    throw err;
  }
  if (result === ALREADY_EXISTS) throw conflict(message);
  return result;
}
