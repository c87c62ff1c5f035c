/**
 * Kubernetes resource quantities ("500m", "1.5Gi", "2e3"), parsed the way
 * the API server's grammar allows and nothing looser. Shared by the edge
 * (validating quotas) and the agent (requests of pods, admission): no Node
 * or Workers imports.
 */

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

// <sign><digits>[.<digits>]<suffix>, suffix one of the binary or decimal SI
// suffixes or a decimal exponent; as in k8s.io/apimachinery's ParseQuantity.
const QUANTITY =
  /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]))?$/;

/** The quantity as a plain number (cores, bytes, count); undefined when it is not a quantity. */
export function parseQuantity(text: string): number | undefined {
  const match = QUANTITY.exec(text);
  if (!match) return undefined;
  const mantissa = Number(match[1]);
  if (match[2] !== undefined) return mantissa * 10 ** Number(match[2].slice(1));
  const suffix = match[3] ?? '';
  return mantissa * (BINARY[suffix] ?? DECIMAL[suffix] ?? Number.NaN);
}

/** Cpu in whole millicores, rounded up as the API server does for sub-milli values. */
export function toMillicores(cores: number): number {
  return Math.ceil(Math.round(cores * 1e6) / 1e3);
}
