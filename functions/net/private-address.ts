/**
 * The one SSRF check for every outbound call the edge makes to a URL or
 * host an admin configured (identity providers, alert webhooks): private,
 * loopback, link-local and cloud-metadata destinations are refused unless
 * the deployment explicitly allows them (local development, tests).
 */

const blockedHostnames = new Set([
  'localhost',
  'metadata',
  'metadata.google.internal',
  'instance-data',
]);

function ipv4Private(host: string): boolean | undefined {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (!match) return undefined;
  const [a = 0, b = 0] = match.slice(1, 3).map(Number);
  return (
    a === 0 ||
    a === 10 ||
    a === 127 ||
    (a === 100 && b >= 64 && b <= 127) || // carrier-grade NAT
    (a === 169 && b === 254) || // link-local, cloud metadata
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    a >= 224
  );
}

function ipv6Private(host: string): boolean | undefined {
  if (!host.includes(':')) return undefined;
  const h = host.toLowerCase();
  if (h === '::' || h === '::1') return true;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(h);
  if (mapped?.[1]) return ipv4Private(mapped[1]) ?? true;
  return /^(fc|fd|fe[89ab]|ff)/.test(h);
}

/** Whether `host` (a name or an IP literal, brackets allowed) is not a public destination. */
export function isPrivateHost(host: string): boolean {
  const h = host
    .trim()
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '')
    .toLowerCase();
  if (!h) return true;
  const ip = ipv4Private(h) ?? ipv6Private(h);
  if (ip !== undefined) return ip;
  return (
    blockedHostnames.has(h) ||
    h.endsWith('.localhost') ||
    h.endsWith('.internal') ||
    h.endsWith('.local')
  );
}

/** Whether an env flag such as ALLOW_PRIVATE_IDP_HOSTS is on ("true" or "1"). */
export const flagEnabled = (value: string | undefined) => value === 'true' || value === '1';

/** The reason a destination is refused, or undefined when it may be reached. */
export function privateDestinationProblem(host: string, allowPrivate: boolean): string | undefined {
  if (allowPrivate || !isPrivateHost(host)) return undefined;
  return `"${host}" is a private, loopback, link-local or metadata address; the edge does not call those`;
}
