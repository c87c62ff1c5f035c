import type { Database } from '../../db/client';
import {
  createFederatedUser,
  findGroupIds,
  findLinkedUser,
  linkIdentity,
  syncGroupMemberships,
  touchIdentity,
} from '../../db/queries/identities';
import type { GroupMapping, IdentityProviderRow } from '../../db/queries/identity-providers';
import { findUserByName, type UserRow } from '../../db/queries/users';
import { conflict } from '../errors';
import { notLinked } from './errors';
import { groupMappingsOf } from './provider-config';
import type { ExternalIdentity } from './types';
import { candidateUsernames } from './usernames';

async function createUserFor(
  db: Database,
  provider: IdentityProviderRow,
  identity: ExternalIdentity,
): Promise<UserRow> {
  for (const name of await candidateUsernames(
    identity.username,
    provider.name,
    identity.externalId,
  )) {
    const user = await createFederatedUser(db, {
      name,
      email: identity.email,
      displayName: identity.displayName,
      providerId: provider.id,
      externalId: identity.externalId,
      externalUsername: identity.username,
    });
    if (user) return user;
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
 */
export async function resolveFederatedUser(
  db: Database,
  provider: IdentityProviderRow,
  identity: ExternalIdentity,
  now: Date,
): Promise<UserRow> {
  const linked = await findLinkedUser(db, provider.id, identity.externalId);
  if (linked) {
    await touchIdentity(db, linked.identity.id, identity.username, now);
    return linked.user;
  }
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
      await touchIdentity(db, link.id, identity.username, now);
      return existing;
    }
  }
  return createUserFor(db, provider, identity);
}

const sameGroup = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/**
 * Refreshes the user's memberships in the groups the provider's mapping
 * names: in exactly those whose provider group the identity carries now.
 */
export async function syncMappedGroups(
  db: Database,
  provider: IdentityProviderRow,
  userId: string,
  identity: ExternalIdentity,
): Promise<void> {
  const mappings: GroupMapping[] = groupMappingsOf(provider);
  if (mappings.length === 0) return;
  const targets = await findGroupIds(db, mappings);
  const wanted = new Set(
    targets
      .filter((t) =>
        mappings.some(
          (m) =>
            m.workspace === t.workspace &&
            m.group === t.group &&
            identity.groups.some((g) => sameGroup(g, m.from)),
        ),
      )
      .map((t) => t.id),
  );
  await syncGroupMemberships(
    db,
    userId,
    targets.map((t) => t.id),
    wanted,
  );
}
