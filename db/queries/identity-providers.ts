import { asc, eq, gt, inArray } from 'drizzle-orm';
import type { Database } from '../client';
import { type IdentityProviderType, identityProviders, type MappingMethod } from '../schema';
import { ALREADY_EXISTS, type AlreadyExists, isUniqueViolation } from '../unique';
import type { PageRequest } from './paging';

export type IdentityProviderRow = typeof identityProviders.$inferSelect;

/** Provider group -> edgetower group in a workspace. */
export interface GroupMapping {
  from: string;
  workspace: string;
  group: string;
}

export interface IdentityProviderInput {
  name: string;
  type: IdentityProviderType;
  displayName?: string | null | undefined;
  mappingMethod: MappingMethod;
  /** The non-secret settings. */
  config: Record<string, unknown>;
  sealedSecrets: string | null;
  groupMappings: GroupMapping[];
}

export async function findIdentityProvider(
  db: Database,
  name: string,
): Promise<IdentityProviderRow | undefined> {
  return db.query.identityProviders.findFirst({ where: eq(identityProviders.name, name) });
}

export async function listIdentityProviders(
  db: Database,
  page: PageRequest,
): Promise<IdentityProviderRow[]> {
  return db
    .select()
    .from(identityProviders)
    .where(page.after === undefined ? undefined : gt(identityProviders.name, page.after))
    .orderBy(asc(identityProviders.name))
    .limit(page.limit + 1);
}

/** Providers of one type, by name: the password grant tries LDAP providers in this order. */
export async function listIdentityProvidersOfType(
  db: Database,
  type: IdentityProviderType,
): Promise<IdentityProviderRow[]> {
  return db
    .select()
    .from(identityProviders)
    .where(eq(identityProviders.type, type))
    .orderBy(asc(identityProviders.name));
}

const columns = (input: Omit<IdentityProviderInput, 'name' | 'type'>) => ({
  displayName: input.displayName ?? null,
  mappingMethod: input.mappingMethod,
  config: JSON.stringify(input.config),
  sealedSecrets: input.sealedSecrets,
  groupMappings: JSON.stringify(input.groupMappings),
});

/** ALREADY_EXISTS when the name is taken. */
export async function createIdentityProvider(
  db: Database,
  input: IdentityProviderInput,
): Promise<IdentityProviderRow | AlreadyExists> {
  try {
    const [row] = await db
      .insert(identityProviders)
      .values({ name: input.name, type: input.type, ...columns(input) })
      .returning();
    if (!row) throw new Error('insert returned no row');
    return row;
  } catch (error) {
    if (isUniqueViolation(error)) return ALREADY_EXISTS;
    throw error;
  }
}

/** Names among `names` that a provider already has. */
export async function existingProviderNames(db: Database, names: string[]): Promise<string[]> {
  if (names.length === 0) return [];
  const rows = await db
    .select({ name: identityProviders.name })
    .from(identityProviders)
    .where(inArray(identityProviders.name, names));
  return rows.map((r) => r.name);
}

/** Creates several providers in one batch: all of them or none (ALREADY_EXISTS when a name is taken). */
export async function createIdentityProviders(
  db: Database,
  inputs: IdentityProviderInput[],
): Promise<IdentityProviderRow[] | AlreadyExists> {
  const [first, ...rest] = inputs.map((input) =>
    db
      .insert(identityProviders)
      .values({ name: input.name, type: input.type, ...columns(input) })
      .returning(),
  );
  if (!first) return [];
  try {
    const results = await db.batch([first, ...rest]);
    return results.flat();
  } catch (error) {
    if (isUniqueViolation(error)) return ALREADY_EXISTS;
    throw error;
  }
}

export async function updateIdentityProvider(
  db: Database,
  id: string,
  input: Omit<IdentityProviderInput, 'name' | 'type'>,
): Promise<IdentityProviderRow> {
  const [row] = await db
    .update(identityProviders)
    .set({ ...columns(input), updatedAt: new Date() })
    .where(eq(identityProviders.id, id))
    .returning();
  if (!row) throw new Error('update returned no row');
  return row;
}

/** Deletes the provider and (cascade) its identity links; the users stay. */
export async function deleteIdentityProvider(db: Database, id: string): Promise<void> {
  await db.delete(identityProviders).where(eq(identityProviders.id, id));
}
