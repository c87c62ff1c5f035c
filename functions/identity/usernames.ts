import { reservedNames } from '../../db/builtin-roles';

/**
 * Provider login names (`Alice_Smith.ops`, `JDoe@corp`) become DNS-1123
 * labels, deterministically: lowercase, accents dropped, every run of other
 * characters one "-". KubeSphere refused `_` outright (#4267).
 */
export function normaliseUsername(raw: string): string {
  const label = raw
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  return label || 'user';
}

async function shortHash(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return [...new Uint8Array(digest).slice(0, 3)]
    .map((b) => b.toString(16).padStart(2, '0'))
    .join('');
}

/**
 * The names to try for a new federated user, in order: the normalised name,
 * then the same with a suffix derived from (provider, external id), so two
 * people whose names normalise alike still get stable, distinct names.
 */
export async function candidateUsernames(
  raw: string,
  provider: string,
  externalId: string,
): Promise<string[]> {
  const base = normaliseUsername(raw);
  const suffix = await shortHash(`${provider}\n${externalId}`);
  const suffixed = `${base.slice(0, 63 - suffix.length - 1).replace(/-+$/, '')}-${suffix}`;
  return reservedNames.has(base) ? [suffixed] : [base, suffixed];
}
