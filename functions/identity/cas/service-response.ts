/**
 * Reads a CAS 2/3 `serviceValidate` response (XML). Workers have no DOM
 * parser; the response is a small fixed shape, so elements are matched by
 * local name whatever their namespace prefix.
 */

export type CasResult =
  | { ok: true; user: string; attributes: Record<string, string[]> }
  | { ok: false; code: string; message: string };

const entities: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(text: string): string {
  return text
    .replace(/<!\[CDATA\[([\s\S]*?)\]\]>/g, '$1')
    .replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (whole, name: string) => {
      if (name[0] === '#')
        return String.fromCodePoint(
          name[1]?.toLowerCase() === 'x'
            ? Number.parseInt(name.slice(2), 16)
            : Number(name.slice(1)),
        );
      return entities[name] ?? whole;
    })
    .trim();
}

/** The inner text of the first element with this local name, or undefined. */
function element(xml: string, localName: string): { attrs: string; inner: string } | undefined {
  const match = new RegExp(
    `<(?:[\\w.-]+:)?${localName}(\\s[^>]*)?>([\\s\\S]*?)</(?:[\\w.-]+:)?${localName}>`,
  ).exec(xml);
  return match ? { attrs: match[1] ?? '', inner: match[2] ?? '' } : undefined;
}

export function parseServiceResponse(xml: string): CasResult {
  const failure = element(xml, 'authenticationFailure');
  if (failure) {
    const code = /code\s*=\s*"([^"]*)"/.exec(failure.attrs)?.[1] ?? 'UNKNOWN';
    return { ok: false, code, message: decode(failure.inner) };
  }
  const success = element(xml, 'authenticationSuccess');
  const user = success && element(success.inner, 'user');
  if (!success || !user)
    return { ok: false, code: 'MALFORMED', message: 'no authenticationSuccess/user' };
  const attributes: Record<string, string[]> = {};
  const block = element(success.inner, 'attributes')?.inner ?? '';
  for (const m of block.matchAll(
    /<(?:[\w.-]+:)?([\w.-]+)(?:\s[^>]*)?>([\s\S]*?)<\/(?:[\w.-]+:)?\1>/g,
  )) {
    const [, name = '', value = ''] = m;
    if (!attributes[name]) attributes[name] = [];
    attributes[name].push(decode(value));
  }
  return { ok: true, user: decode(user.inner), attributes };
}
