import type { Database } from '../../db/client';
import {
  createFederatedUser,
  federatedSignInWrites,
  findGroupIds,
  findLinkedUser,
  type IdentityRow,
} from '../../db/queries/identities';
import type { IdentityProviderRow } from '../../db/queries/identity-providers';
import type { UserRow } from '../../db/queries/users';
import { conflict } from '../errors';
import { reservedNames } from '../iam/builtin-roles';
import { nameTaken, notLinked } from './errors';
import { groupMappingsOf } from './provider-config';
import type { ExternalIdentity } from './types';
import { candidateUsernames, normaliseUsername } from './usernames';

/** A user an external identity resolved to, with the link that says so. */
export interface FederatedUser {
  user: UserRow;
  identityId: string;
}

async function createUserNamed(
  db: Database,
  provider: IdentityProviderRow,
  identity: ExternalIdentity,
  name: string,
) {
  return createFederatedUser(db, {
    name,
    email: identity.email,
    displayName: identity.displayName,
    providerId: provider.id,
    externalId: identity.externalId,
    externalUsername: identity.username,
  });
}

/** `auto`: the normalised name, else the same with a stable suffix. */
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
    const created = await createUserNamed(db, provider, identity, name);
    if (created) return created;
  }
  throw conflict(`No free edgetower name for "${identity.username}" from "${provider.name}".`);
}

/** `mixed`: the normalised name only; taken (or reserved) is a 409 saying how to link. */
async function createUserOrRefuse(
  db: Database,
  provider: IdentityProviderRow,
  identity: ExternalIdentity,
): Promise<FederatedUser> {
  const name = normaliseUsername(identity.username);
  const created = reservedNames.has(name)
    ? undefined
    : await createUserNamed(db, provider, identity, name);
  if (!created) throw nameTaken(provider.name, name);
  return created;
}

/**
 * The edgetower user an external identity signs in as, by the provider's
 * mapping method: a linked identity signs in as its user; otherwise
 * `lookup` refuses (403 identity_not_linked), `auto` creates a user (with a
 * stable suffix when the name is taken) and `mixed` creates one only under
 * the normalised name itself, refusing when it is taken (409
 * identity_name_taken). No method ever links to an existing account by
 * name: a provider that knows someone of that name is not that account's
 * owner. Links to existing accounts are made by a platform admin.
 * `known` is a link already read (the password grant reads it with the principal).
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
  if (provider.mappingMethod === 'mixed') return createUserOrRefuse(db, provider, identity);
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
