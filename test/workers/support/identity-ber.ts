import { children, readElement, readString } from '../../../functions/identity/ldap/ber';

type Decoded =
  | { and: Decoded[] }
  | { or: Decoded[] }
  | { not: Decoded }
  | { eq: [string, string] }
  | { present: string }
  | { sub: [string, ...[string, string][]] }
  | { other: number };

/** Decodes an encoded LDAP filter into a readable tree, to check the encoder independently. */
export function decodeFilterForTest(bytes: Uint8Array): Decoded {
  const element = readElement(bytes);
  if (!element) throw new Error('truncated');
  const walk = (e: NonNullable<ReturnType<typeof readElement>>): Decoded => {
    switch (e.tag) {
      case 0xa0:
        return { and: children(e).map(walk) };
      case 0xa1:
        return { or: children(e).map(walk) };
      case 0xa2:
        return { not: walk(children(e)[0]!) };
      case 0xa3: {
        const [a, v] = children(e);
        return { eq: [readString(a!), readString(v!)] };
      }
      case 0x87:
        return { present: readString(e) };
      case 0xa4: {
        const [a, seq] = children(e);
        const names: Record<number, string> = { 128: 'initial', 129: 'any', 130: 'final' };
        return {
          sub: [
            readString(a!),
            ...children(seq!).map((p): [string, string] => [names[p.tag] ?? '?', readString(p)]),
          ],
        };
      }
      default:
        return { other: e.tag };
    }
  };
  return walk(element);
}
