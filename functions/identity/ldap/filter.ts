import { octetString, Tag, tlv } from './ber';

/**
 * RFC 4515 search filters: parsed from their string form and encoded as
 * RFC 4511 `Filter` choices, so configured filters such as
 * `(&(objectClass=person)(uid={username}))` work as in other LDAP tools.
 */

export class FilterSyntaxError extends Error {}

/** Escapes a value for use inside a filter (RFC 4515 §3), so user input cannot change its shape. */
export function escapeFilterValue(value: string): string {
  return value.replace(/[\\*()\0]/g, (ch) => `\\${ch.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** A filter as written, with the parentheses RFC 4515 wants added when left out (`objectClass=person`). */
export function parenthesised(filter: string): string {
  const trimmed = filter.trim();
  return trimmed.startsWith('(') ? trimmed : `(${trimmed})`;
}

/**
 * The filter that finds the entry of the person signing in. A configured
 * filter with `{username}` gets the escaped name there; one without it is
 * KubeSphere's "what a user entry looks like" and is AND-ed with
 * `(<loginAttribute>=<escaped name>)`, as KubeSphere builds
 * `(&(uid=<name>)(objectClass=inetOrgPerson))`.
 */
export function userSearchFilter(
  configured: string | undefined,
  loginAttribute: string,
  username: string,
): string {
  const name = escapeFilterValue(username);
  if (configured?.includes('{username}')) return configured.replaceAll('{username}', name);
  const byName = `(${loginAttribute}=${name})`;
  return configured ? `(&${byName}${parenthesised(configured)})` : byName;
}

const encoder = new TextEncoder();

/** Turns the `\XX` escapes of a filter value back into bytes. */
function unescapeValue(raw: string): Uint8Array {
  const bytes: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] === '\\') {
      const hex = raw.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) throw new FilterSyntaxError(`bad escape "\\${hex}"`);
      bytes.push(Number.parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(...encoder.encode(raw[i]!));
    }
  }
  return Uint8Array.from(bytes);
}

function encodeItem(item: string): Uint8Array {
  const match = /^([\w.;-]+)(=|>=|<=|~=)(.*)$/s.exec(item);
  if (!match) throw new FilterSyntaxError(`cannot parse "(${item})"`);
  const [, attribute = '', operator, value = ''] = match;
  if (operator === '=' && value === '*') return octetString(attribute, 0x87);
  if (operator === '=' && value.includes('*')) {
    const parts = value.split('*');
    const pieces: Uint8Array[] = [];
    parts.forEach((part, i) => {
      if (!part) return;
      const tag = i === 0 ? 0x80 : i === parts.length - 1 ? 0x82 : 0x81;
      pieces.push(tlv(tag, unescapeValue(part)));
    });
    return tlv(0xa4, octetString(attribute), tlv(Tag.sequence, ...pieces));
  }
  const tag = { '=': 0xa3, '>=': 0xa5, '<=': 0xa6, '~=': 0xa8 }[operator ?? '='] ?? 0xa3;
  return tlv(tag, octetString(attribute), octetString(unescapeValue(value)));
}

/** Parses one parenthesised filter at `pos`; returns its encoding and where it ended. */
function parseAt(text: string, pos: number): { bytes: Uint8Array; end: number } {
  if (text[pos] !== '(') throw new FilterSyntaxError(`expected "(" at ${pos}`);
  const op = text[pos + 1];
  if (op === '&' || op === '|' || op === '!') {
    const parts: Uint8Array[] = [];
    let cursor = pos + 2;
    while (text[cursor] === '(') {
      const parsed = parseAt(text, cursor);
      parts.push(parsed.bytes);
      cursor = parsed.end;
    }
    if (text[cursor] !== ')') throw new FilterSyntaxError(`expected ")" at ${cursor}`);
    if (op === '!' && parts.length !== 1) throw new FilterSyntaxError('"!" takes one filter');
    const tag = op === '&' ? 0xa0 : op === '|' ? 0xa1 : 0xa2;
    return { bytes: tlv(tag, ...parts), end: cursor + 1 };
  }
  const close = text.indexOf(')', pos);
  if (close < 0) throw new FilterSyntaxError('unbalanced parentheses');
  return { bytes: encodeItem(text.slice(pos + 1, close)), end: close + 1 };
}

/** Encodes an RFC 4515 filter string; throws FilterSyntaxError on malformed input. */
export function encodeFilter(text: string): Uint8Array {
  const wrapped = parenthesised(text);
  const { bytes, end } = parseAt(wrapped, 0);
  if (end !== wrapped.length) throw new FilterSyntaxError('trailing characters after the filter');
  return bytes;
}
