/** Kubernetes quantities as numbers: cpu in millicores, memory in bytes. */
import { parseQuantity as parseStrict } from '../protocol/quantity';

/**
 * The quantity as a plain number (cores, bytes); NaN when it is not a
 * quantity. The grammar is the edge's (protocol/quantity.ts), so a
 * quota the edge accepted means the same here.
 */
export function parseQuantity(text: string): number {
  return parseStrict(text.trim()) ?? Number.NaN;
}

export function cpuMillicores(text: string | undefined): number {
  if (!text) return 0;
  const value = parseQuantity(text);
  return Number.isFinite(value) ? Math.round(value * 1000) : 0;
}

export function memoryBytes(text: string | undefined): number {
  if (!text) return 0;
  const value = parseQuantity(text);
  return Number.isFinite(value) ? Math.round(value) : 0;
}
