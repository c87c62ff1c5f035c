/** Kubernetes quantities as numbers: cpu in millicores, memory in bytes. */

const BINARY: Record<string, number> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};
const DECIMAL: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};

/** The quantity as a plain number (cores, bytes); NaN when it is not a quantity. */
export function parseQuantity(text: string): number {
  const match = /^([+-]?[0-9.]+)(?:[eE]([+-]?\d+))?([a-zA-Z]*)$/.exec(text.trim());
  if (!match) return Number.NaN;
  const factor = BINARY[match[3] ?? ''] ?? DECIMAL[match[3] ?? ''];
  if (factor === undefined) return Number.NaN;
  return Number(match[1]) * 10 ** Number(match[2] ?? 0) * factor;
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
