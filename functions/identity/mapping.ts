import type { Database } from '../../db/client';
import {
  createFederatedUser,
  federatedSignInWrites,
  findGroupIds,
  findLinkedUser,
  type IdentityRow,
  linkIdentity,
} from '../../db/queries/identities';
import type { IdentityProviderRow } from '../../db/queries/identity-providers';
import { findUserByName, type UserRow } from '../../db/queries/users';
import { conflict } from '../errors';
import { notLinked } from './errors';
import { groupMappingsOf } from './provider-config';
import type { ExternalIdentity } from './types';
import { candidateUsernames } from './usernames';

/** A user an external identity resolved to, with the link that says so. */
export interface FederatedUser {
  user: UserRow;
  identityId: string;
}

async function createUserFor(
  db: Database,
  provider: IdentityProviderRow,
  identity: ExternalIdentity,
): Promise<FederatedUser> {
  for (const name of await candidateUsernames(
    identity.username,
    provider.name,
    identity.externalId,
  )) {
    const created = await createFederatedUser(db, {
      name,
      email: identity.email,
      displayName: identity.displayName,
      providerId: provider.id,
      externalId: identity.externalId,
      externalUsername: identity.username,
    });
    if (created) return created;
  }
  throw conflict(`No free edgetower name for "${identity.username}" from "${provider.name}".`);
}

/**
 * The edgetower user an external identity signs in as, by the provider's
 * mapping method (KubeSphere's): `lookup` only follows existing links;
 * `auto` creates a user on first sign-in; `mixed` first links a
 * pre-registered account of the same (normalised) name, else creates one.
 * Only accounts without a local password are linked by name: a provider must
 * never take over a local account because it knows someone of that name.
 * `known` is a link already read (the password grant reads it for lockout).
 */
export async function resolveFederatedUser(
  db: Database,
  provider: IdentityProviderRow,
  identity: ExternalIdentity,
  known?: { identity: IdentityRow; user: UserRow },
): Promise<FederatedUser> {
  const linked =
    known?.identity.externalId === identity.externalId
      ? known
      : await findLinkedUser(db, provider.id, identity.externalId);
  if (linked) return { user: linked.user, identityId: linked.identity.id };
  if (provider.mappingMethod === 'lookup') throw notLinked(provider.name);
  if (provider.mappingMethod === 'mixed') {
    const [name] = await candidateUsernames(identity.username, provider.name, identity.externalId);
    const existing = name ? await findUserByName(db, name) : undefined;
    if (existing && !existing.passwordHash) {
      const link = await linkIdentity(db, {
        providerId: provider.id,
        externalId: identity.externalId,
        externalUsername: identity.username,
        userId: existing.id,
      });
      return { user: existing, identityId: link.id };
    }
  }
  return createUserFor(db, provider, identity);
}

/** The groups the provider's mapping names, as ids (read once per sign-in, alongside the provider call). */
export async function mappedGroups(db: Database, provider: IdentityProviderRow) {
  const mappings = groupMappingsOf(provider);
  const targets = await findGroupIds(db, mappings);
  return { mappings, targets };
}

const sameGroup = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/**
 * Which of the mapped groups the user belongs in after this sign-in: exactly
 * those whose provider group the identity carries now (`managed` are all
 * the mapped groups that exist; other memberships are left alone).
 */
export function groupMembership(
  identity: ExternalIdentity,
  groups: Awaited<ReturnType<typeof mappedGroups>>,
) {
  const wanted = new Set(
    groups.targets
      .filter((t) =>
        groups.mappings.some(
          (m) =>
            m.workspace === t.workspace &&
            m.group === t.group &&
            identity.groups.some((g) => sameGroup(g, m.from)),
        ),
      )
      .map((t) => t.id),
  );
  return { managed: groups.targets.map((t) => t.id), wanted };
}

/** Whether a sign-in's group mapping leaves the user's memberships (`current` group ids) as they are. */
export function membershipUnchanged(
  current: readonly string[],
  membership: ReturnType<typeof groupMembership>,
): boolean {
  const now = new Set(current);
  return membership.managed.every((id) => membership.wanted.has(id) === now.has(id));
}

/**
 * The writes of a successful sign-in, unexecuted (the caller batches them,
 * with its refresh token and audit row where it can): the login stamps,
 * cleared lockout counters, and the group mapping refreshed.
 */
export function signInWrites(
  db: Database,
  signedIn: FederatedUser,
  identity: ExternalIdentity,
  membership: ReturnType<typeof groupMembership>,
  now: Date,
) {
  return federatedSignInWrites(db, {
    identityId: signedIn.identityId,
    externalUsername: identity.username,
    userId: signedIn.user.id,
    now,
    ...membership,
  });
}
