import ipaddr from 'ipaddr.js';
import { normalizeHost } from './host';

/**
 * Why a host is not a public unicast destination. `metadata` (cloud
 * instance metadata) and `invalid` are refused whatever the deployment
 * allows; the others only where private destinations are not allowed.
 */
export type RefusalKind =
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'reserved'
  | 'reserved name'
  | 'metadata'
  | 'invalid';

export interface Refusal {
  kind: RefusalKind;
  /** What the host is, for the error message ("loopback address 127.0.0.1"). */
  description: string;
}

/**
 * Instance metadata services: the credentials of the machine the edge runs
 * on (AWS/GCP/Azure/Oracle IMDS, ECS task and EKS pod identity, Alibaba
 * Cloud, Azure's WireServer, which is a public address).
 */
const metadataAddresses = new Set([
  '169.254.169.254',
  '169.254.170.2',
  '169.254.170.23',
  '100.100.100.200',
  '168.63.129.16',
  'fd00:ec2::254',
  'fd00:ec2::23',
]);
const metadataNames = new Set([
  'metadata',
  'metadata.google.internal',
  'metadata.goog',
  'instance-data',
  'instance-data.ec2.internal',
]);

/** Names that only ever mean this machine or a private network (RFC 6761, 6762, 8375; `.internal`). */
const reservedNames = new Set(['localhost', 'localdomain']);
const reservedSuffixes = ['.localhost', '.internal', '.local', '.localdomain', '.home.arpa'];

const v4Refusals: Partial<Record<string, [RefusalKind, string]>> = {
  loopback: ['loopback', ''],
  private: ['private', 'RFC 1918'],
  carrierGradeNat: ['private', 'carrier-grade NAT'],
  linkLocal: ['link-local', ''],
  unspecified: ['reserved', 'unspecified'],
  broadcast: ['reserved', 'broadcast'],
  multicast: ['reserved', 'multicast'],
  reserved: ['reserved', 'documentation, benchmarking or future use'],
  benchmarking: ['reserved', 'benchmarking'],
  amt: ['reserved', 'AMT relay anycast'],
  as112: ['reserved', 'AS112 sink'],
};

const v6Refusals: Partial<Record<string, [RefusalKind, string]>> = {
  loopback: ['loopback', ''],
  uniqueLocal: ['private', 'unique local'],
  linkLocal: ['link-local', ''],
  unspecified: ['reserved', 'unspecified'],
  multicast: ['reserved', 'multicast'],
  teredo: ['reserved', 'Teredo tunnel'],
};

const nouns: Record<RefusalKind, string> = {
  loopback: 'loopback address',
  private: 'private address',
  'link-local': 'link-local address',
  reserved: 'reserved address',
  'reserved name': 'reserved name',
  metadata: 'cloud metadata endpoint',
  invalid: 'invalid host',
};

const refusal = (kind: RefusalKind, what: string, note = ''): Refusal => ({
  kind,
  description: `${nouns[kind]} ${what}${note ? ` (${note})` : ''}`,
});

function classifyV4(address: ipaddr.IPv4): Refusal | undefined {
  const text = address.toString();
  if (metadataAddresses.has(text)) return refusal('metadata', text);
  const range = address.range();
  if (range === 'unicast') return undefined;
  const [kind, note] = v4Refusals[range] ?? ['reserved', range];
  return refusal(kind, text, note);
}

/** The IPv4 address an IPv6 one carries to the IPv4 internet, when it is one of those forms. */
function embeddedV4(address: ipaddr.IPv6, range: string): ipaddr.IPv4 | undefined {
  const p = address.parts;
  const v4 = (high: number, low: number) =>
    new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]);
  // ::ffff:a.b.c.d (mapped), ::ffff:0:a.b.c.d (SIIT), 64:ff9b::a.b.c.d (NAT64 well-known prefix).
  if (range === 'ipv4Mapped' || range === 'rfc6145') return v4(p[6] ?? 0, p[7] ?? 0);
  if (range === 'rfc6052' && p[2] === 0) return v4(p[6] ?? 0, p[7] ?? 0);
  if (range === '6to4') return v4(p[1] ?? 0, p[2] ?? 0);
  return undefined;
}

function classifyV6(address: ipaddr.IPv6): Refusal | undefined {
  const text = address.toString();
  if (metadataAddresses.has(text)) return refusal('metadata', text);
  const range = address.range();
  const carried = embeddedV4(address, range);
  if (carried) {
    const inner = classifyV4(carried);
    return inner && { ...inner, description: `${inner.description}, carried in ${text}` };
  }
  if (range === 'rfc6052') return refusal('reserved', text, 'NAT64 local-use prefix');
  const known = v6Refusals[range];
  if (known) return refusal(known[0], text, known[1]);
  if (range !== 'unicast') return refusal('reserved', text, range);
  // Only 2000::/3 is allocated global unicast; ::a.b.c.d (IPv4-compatible) and the rest are not.
  if (!address.match(ipaddr.IPv6.parse('2000::'), 3)) {
    const compatible = address.parts.slice(0, 6).every((part) => part === 0);
    return refusal('reserved', text, compatible ? 'IPv4-compatible' : 'unallocated');
  }
  return undefined;
}

function classifyName(name: string): Refusal | undefined {
  if (metadataNames.has(name)) return refusal('metadata', `"${name}"`);
  if (reservedNames.has(name) || reservedSuffixes.some((suffix) => name.endsWith(suffix)))
    return refusal('reserved name', `"${name}"`);
  // A name ending in a number is an IPv4 spelling URL parsers disagree on: never a name.
  if (/^(0x[0-9a-f]*|\d+)$/.test(name.slice(name.lastIndexOf('.') + 1)))
    return refusal('invalid', `"${name}"`, 'neither a name nor an IP address');
  return undefined;
}

/**
 * Why `host` (a name or IP literal in any spelling, brackets allowed) is
 * not a public unicast destination, or undefined when it is one. Names are
 * judged by what they spell, not resolved.
 */
export function classifyHost(host: string): Refusal | undefined {
  const normalized = normalizeHost(host);
  if (!normalized) return refusal('invalid', `"${host}"`, 'not a host name or IP address');
  // After URL normalization IPv4 is dotted decimal; ipaddr also reads the inet_aton
  // spellings, in case a runtime's URL parser left one as it was.
  if (ipaddr.isValid(normalized)) {
    const address = ipaddr.parse(normalized);
    return address.kind() === 'ipv4'
      ? classifyV4(address as ipaddr.IPv4)
      : classifyV6(address as ipaddr.IPv6);
  }
  return classifyName(normalized);
}
