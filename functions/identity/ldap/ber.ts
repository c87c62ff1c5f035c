/**
 * The subset of ASN.1 BER (X.690) that LDAPv3 (RFC 4511) needs: definite
 * lengths, INTEGER/ENUMERATED, OCTET STRING, BOOLEAN and constructed
 * SEQUENCE/SET/application/context tags.
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export const Tag = {
  boolean: 0x01,
  integer: 0x02,
  octetString: 0x04,
  enumerated: 0x0a,
  sequence: 0x30,
  set: 0x31,
} as const;

function encodeLength(length: number): Uint8Array {
  if (length < 0x80) return Uint8Array.of(length);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** One tag-length-value; `content` is raw bytes or already-encoded children. */
export function tlv(tag: number, ...content: Uint8Array[]): Uint8Array {
  const body = concat(content);
  return concat([Uint8Array.of(tag), encodeLength(body.length), body]);
}

export function integer(value: number, tag: number = Tag.integer): Uint8Array {
  const bytes: number[] = [];
  let n = value;
  do {
    bytes.unshift(n & 0xff);
    n = Math.floor(n / 256);
  } while (n > 0);
  if ((bytes[0] ?? 0) & 0x80) bytes.unshift(0); // stay positive
  return tlv(tag, Uint8Array.from(bytes));
}

export const enumerated = (value: number) => integer(value, Tag.enumerated);
export const octetString = (value: string | Uint8Array, tag: number = Tag.octetString) =>
  tlv(tag, typeof value === 'string' ? encoder.encode(value) : value);
export const boolean = (value: boolean) => tlv(Tag.boolean, Uint8Array.of(value ? 0xff : 0));

/** A decoded element; `content` views the value bytes of the source buffer. */
export interface BerElement {
  tag: number;
  content: Uint8Array;
  /** Bytes the whole element took (header + content). */
  size: number;
}

export class BerError extends Error {}

/** Reads one element at `offset`, or undefined when the buffer does not yet hold all of it. */
export function readElement(buffer: Uint8Array, offset = 0): BerElement | undefined {
  if (buffer.length - offset < 2) return undefined;
  const tag = buffer[offset]!;
  let length = buffer[offset + 1]!;
  let header = 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4) throw new BerError(`unsupported BER length of ${count} bytes`);
    if (buffer.length - offset < 2 + count) return undefined;
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + buffer[offset + 2 + i]!;
    header += count;
  }
  if (buffer.length - offset < header + length) return undefined;
  const start = offset + header;
  return { tag, content: buffer.subarray(start, start + length), size: header + length };
}

/** The children of a constructed element. */
export function children(element: BerElement): BerElement[] {
  const out: BerElement[] = [];
  for (let offset = 0; offset < element.content.length; ) {
    const child = readElement(element.content, offset);
    if (!child) throw new BerError('truncated BER element');
    out.push(child);
    offset += child.size;
  }
  return out;
}

export function readInteger(element: BerElement): number {
  let value = 0;
  for (const byte of element.content) value = value * 256 + byte;
  return value;
}

export const readString = (element: BerElement) => decoder.decode(element.content);
