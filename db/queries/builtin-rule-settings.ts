import { eq } from 'drizzle-orm';
import type { Database } from '../client';
import { builtinRuleSettings } from '../schema';

export type BuiltinRuleSettingRow = typeof builtinRuleSettings.$inferSelect;

/** A cluster's settings for built-in rules, by rule name (no row: the documented defaults). */
export async function builtinSettingsOf(
  db: Database,
  clusterId: string,
): Promise<Map<string, BuiltinRuleSettingRow>> {
  const rows = await db
    .select()
    .from(builtinRuleSettings)
    .where(eq(builtinRuleSettings.clusterId, clusterId));
  return new Map(rows.map((row) => [row.rule, row]));
}

/** What a PATCH may change; `null` puts the documented default back. */
export interface BuiltinSettingChange {
  disabled?: boolean;
  forSeconds?: number | null;
  threshold?: string | null;
  severity?: BuiltinRuleSettingRow['severity'];
}

/** Writes a cluster's setting of one built-in rule (created on first change). */
export async function saveBuiltinSetting(
  db: Database,
  clusterId: string,
  rule: string,
  change: BuiltinSettingChange,
  by: string,
  now: Date,
): Promise<BuiltinRuleSettingRow> {
  const set = { ...change, updatedBy: by, updatedAt: now };
  const [row] = await db
    .insert(builtinRuleSettings)
    .values({ clusterId, rule, ...set })
    .onConflictDoUpdate({ target: [builtinRuleSettings.clusterId, builtinRuleSettings.rule], set })
    .returning();
  if (!row) throw new Error('upsert returned no row');
  return row;
}
