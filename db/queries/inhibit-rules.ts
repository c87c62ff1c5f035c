import { asc, eq } from 'drizzle-orm';
import type { Database } from '../client';
import { alertInhibitRules } from '../schema';
import type { LabelMatcher } from '../schema/notification-receivers';

export type InhibitRuleRow = typeof alertInhibitRules.$inferSelect;

export interface InhibitRuleInput {
  name: string;
  sourceMatchers: LabelMatcher[];
  targetMatchers: LabelMatcher[];
  equal: string[];
}

/** Every stored rule, by name (the platform keeps a handful). */
export async function listInhibitRules(db: Database): Promise<InhibitRuleRow[]> {
  return db.select().from(alertInhibitRules).orderBy(asc(alertInhibitRules.name)).limit(1000);
}

export async function findInhibitRule(
  db: Database,
  id: string,
): Promise<InhibitRuleRow | undefined> {
  return db.select().from(alertInhibitRules).where(eq(alertInhibitRules.id, id)).get();
}

/** Undefined when the name is taken. */
export async function insertInhibitRule(
  db: Database,
  input: InhibitRuleInput & { createdBy: string },
): Promise<InhibitRuleRow | undefined> {
  const [row] = await db
    .insert(alertInhibitRules)
    .values({ ...input, updatedAt: new Date() })
    .onConflictDoNothing()
    .returning();
  return row;
}

/** Undefined when no rule has `id`; throws on a name taken by another rule (unique index). */
export async function updateInhibitRule(
  db: Database,
  id: string,
  input: InhibitRuleInput,
): Promise<InhibitRuleRow | undefined> {
  const [row] = await db
    .update(alertInhibitRules)
    .set({ ...input, updatedAt: new Date() })
    .where(eq(alertInhibitRules.id, id))
    .returning();
  return row;
}

export async function deleteInhibitRule(db: Database, id: string): Promise<boolean> {
  const deleted = await db
    .delete(alertInhibitRules)
    .where(eq(alertInhibitRules.id, id))
    .returning({ id: alertInhibitRules.id });
  return deleted.length > 0;
}
