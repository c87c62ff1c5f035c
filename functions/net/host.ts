/**
 * One spelling per host, so that what the SSRF classifier judges is what
 * a connection would reach. WHATWG URL parsing does the heavy lifting: it
 * lowercases and IDNA-maps names (`ＬＯＣＡＬＨＯＳＴ` → `localhost`),
 * percent-decodes, turns every IPv4 spelling inet_aton accepts
 * (`0x7f.1`, `017700000001`, `2130706433`) into dotted decimal and
 * compresses IPv6 (`[::ffff:127.0.0.1]` → `::ffff:7f00:1`).
 */

/** Characters a bare host field (SMTP, LDAP) never contains: they would make the URL parse see userinfo, a path or an escape. */
const notInBareHost = /[%@/\\?#\s]/;

/**
 * The canonical form of `input` (a name or an IP literal, IPv6 with or
 * without brackets): lowercase, no trailing dot, IPv4 dotted decimal, IPv6
 * compressed without brackets. Undefined when it is not one bare host.
 */
export function normalizeHost(input: string): string | undefined {
  const trimmed = input.trim();
  if (!trimmed || notInBareHost.test(trimmed)) return undefined;
  if (trimmed.startsWith('[') !== trimmed.endsWith(']')) return undefined;
  // Unbracketed IPv6 (an SMTP or LDAP host field) is bracketed for the parser; "host:port" then fails.
  const authority = trimmed.includes(':') && !trimmed.startsWith('[') ? `[${trimmed}]` : trimmed;
  let url: URL;
  try {
    url = new URL(`http://${authority}/`);
  } catch {
    return undefined;
  }
  if (url.username || url.password || url.port || url.pathname !== '/' || url.search || url.hash)
    return undefined;
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1').replace(/\.+$/, '');
  return host || undefined;
}

/** The host of a URL in canonical form, or undefined when `target` is no URL. */
export function hostOfUrl(target: string): string | undefined {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return undefined;
  }
  return url.hostname ? normalizeHost(url.hostname) : undefined;
}

/** `host` as a connect() hostname: IPv6 in brackets. */
export const connectHostname = (host: string) => (host.includes(':') ? `[${host}]` : host);
