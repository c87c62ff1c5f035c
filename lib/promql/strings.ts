/**
 * PromQL string literals follow Go's rules: "…" and '…' with backslash
 * escapes, `…` raw. Only what a label value needs is decoded; anything
 * else is reported as undecodable so callers can refuse rather than guess.
 */
const simpleEscapes: Record<string, string> = {
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
  '"': '"',
  "'": "'",
};

/** The value of a PromQL string literal (quotes included), or undefined when it cannot be read. */
export function unquotePromqlString(literal: string): string | undefined {
  if (literal.length < 2) return undefined;
  const quote = literal[0];
  if (quote !== literal[literal.length - 1]) return undefined;
  const body = literal.slice(1, -1);
  if (quote === '`') return body;
  if (quote !== '"' && quote !== "'") return undefined;
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const char = body[i] as string;
    if (char !== '\\') {
      out += char;
      continue;
    }
    const next = body[i + 1];
    if (next === undefined) return undefined;
    const simple = simpleEscapes[next];
    if (simple !== undefined) {
      out += simple;
      i++;
      continue;
    }
    const hex = next === 'x' ? 2 : next === 'u' ? 4 : next === 'U' ? 8 : 0;
    if (!hex) return undefined; // octal and the rest: never needed for a namespace
    const digits = body.slice(i + 2, i + 2 + hex);
    if (!/^[0-9a-fA-F]+$/.test(digits) || digits.length !== hex) return undefined;
    out += String.fromCodePoint(Number.parseInt(digits, 16));
    i += 1 + hex;
  }
  return out;
}

/** A PromQL double-quoted literal of `value`. */
export const quotePromqlString = (value: string): string => JSON.stringify(value);
