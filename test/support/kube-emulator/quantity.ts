/** Just enough Kubernetes quantity arithmetic for metrics: cpu in millicores, memory in bytes. */

// Deliberately not agents/quantity.ts: the emulator stands in for the
// apiserver and metrics-server, so it is the oracle the agent's parsing is
// tested against; sharing the parser would let a bug there agree with itself.
// It is also smaller on purpose (only the forms the generator and tests write).

const BINARY: Record<string, number> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
};
const DECIMAL: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  K: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
};

export function parseQuantity(text: string): number {
  const match = /^([0-9.]+)([a-zA-Z]*)$/.exec(text.trim());
  if (!match) return 0;
  const value = Number(match[1]);
  const suffix = match[2] ?? '';
  const factor = BINARY[suffix] ?? DECIMAL[suffix];
  return factor === undefined ? 0 : value * factor;
}

export const cpuMillis = (text: string | undefined): number =>
  text ? Math.round(parseQuantity(text) * 1000) : 0;
export const memoryBytes = (text: string | undefined): number =>
  text ? Math.round(parseQuantity(text)) : 0;

/** metrics-server style: cpu in nanocores, memory in Ki. */
export const formatCpu = (millis: number): string => `${Math.round(millis * 1e6)}n`;
export const formatMemory = (bytes: number): string => `${Math.round(bytes / 1024)}Ki`;
