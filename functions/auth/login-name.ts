/**
 * The lockout key of a login name, the same for every spelling a provider
 * would accept as that name: Unicode NFKC (fullwidth `ａ` is `a`, as LDAP's
 * string preparation folds it), surrounding whitespace dropped and inner
 * runs made one space (LDAP's insignificant-space handling), lowercase.
 * Local and every provider share it: one budget per name.
 */
export function canonicalLoginName(raw: string): string {
  return raw
    .normalize('NFKC')
    .trim()
    .replace(/\s+/gu, ' ')
    .toLowerCase()
    .normalize('NFKC')
    .slice(0, 256);
}
