import { and, asc, eq, gt, inArray, sql } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import type { Database } from '../client';
import { alertRules, clusters, namespaces, workspaces } from '../schema';
import type { PageRequest } from './paging';

export type AlertRuleRow = typeof alertRules.$inferSelect;
export type AlertRuleLevel = AlertRuleRow['level'];

/** What a level and its target write into a row (everything but the rule's own fields). */
export interface RuleTarget {
  level: AlertRuleLevel;
  scopeKey: string;
  clusterId: string | null;
  workspaceId: string | null;
  namespace: string | null;
}

/** The rule's own fields, as the API takes them. */
export interface RuleFields {
  name: string;
  groupName: string;
  intervalSeconds: number;
  expr: string;
  forSeconds: number;
  keepFiringForSeconds: number;
  severity: AlertRuleRow['severity'];
  labels: Record<string, string>;
  annotations: Record<string, string>;
  disabled: boolean;
  clusterSelector: Record<string, string> | null;
}

/** The scope key of each level (a name is unique per key). */
export const scopeKeys = {
  fleet: () => 'fleet',
  cluster: (clusterId: string) => `cluster:${clusterId}`,
  /**
   * The owning workspace is part of the key: a namespace unplaced from one
   * workspace and placed in another must not show (or collide with) the
   * first workspace's rules, which stay orphaned until it is placed back.
   */
  namespace: (clusterId: string, namespace: string, workspaceId: string) =>
    `namespace:${clusterId}:${namespace}:${workspaceId}`,
} as const;

/** One page of a target's rules, by name. */
export async function listRules(
  db: Database,
  scopeKey: string,
  page: PageRequest,
): Promise<AlertRuleRow[]> {
  return db
    .select()
    .from(alertRules)
    .where(
      and(
        eq(alertRules.scopeKey, scopeKey),
        page.after !== undefined ? gt(alertRules.name, page.after) : undefined,
      ),
    )
    .orderBy(asc(alertRules.name))
    .limit(page.limit + 1);
}

/** Every rule of a target (export, import), by group then name. */
export async function allRulesOf(db: Database, scopeKey: string): Promise<AlertRuleRow[]> {
  return db
    .select()
    .from(alertRules)
    .where(eq(alertRules.scopeKey, scopeKey))
    .orderBy(asc(alertRules.groupName), asc(alertRules.name));
}

export async function findRule(
  db: Database,
  scopeKey: string,
  name: string,
): Promise<AlertRuleRow | undefined> {
  return db
    .select()
    .from(alertRules)
    .where(and(eq(alertRules.scopeKey, scopeKey), eq(alertRules.name, name)))
    .get();
}

/** Inserts a rule; undefined when the name is taken in its target. */
export async function insertRule(
  db: Database,
  target: RuleTarget,
  fields: RuleFields,
  by: string,
  now: Date,
): Promise<AlertRuleRow | undefined> {
  const [row] = await db
    .insert(alertRules)
    .values({ ...target, ...fields, createdBy: by, updatedBy: by, updatedAt: now })
    .onConflictDoNothing()
    .returning();
  return row;
}

/** Replaces a rule's fields (its name may change); undefined when the new name is taken. */
export async function updateRule(
  db: Database,
  id: string,
  fields: RuleFields,
  by: string,
  now: Date,
): Promise<AlertRuleRow | undefined> {
  try {
    const [row] = await db
      .update(alertRules)
      .set({ ...fields, updatedBy: by, updatedAt: now })
      .where(eq(alertRules.id, id))
      .returning();
    return row;
  } catch (error) {
    if (/UNIQUE constraint failed/i.test(String(error))) return undefined;
    throw error;
  }
}

export async function deleteRule(db: Database, id: string): Promise<void> {
  await db.delete(alertRules).where(eq(alertRules.id, id));
}

/**
 * An import, all or nothing (one D1 batch): `replace` drops the target's
 * other rules; `merge` keeps them and overwrites rules of the same name.
 */
export async function importRules(
  db: Database,
  target: RuleTarget,
  rules: RuleFields[],
  mode: 'replace' | 'merge',
  by: string,
  now: Date,
): Promise<void> {
  const statements: BatchItem<'sqlite'>[] = [];
  if (mode === 'replace')
    statements.push(db.delete(alertRules).where(eq(alertRules.scopeKey, target.scopeKey)));
  for (const fields of rules)
    statements.push(
      db
        .insert(alertRules)
        .values({ ...target, ...fields, createdBy: by, updatedBy: by, updatedAt: now })
        .onConflictDoUpdate({
          target: [alertRules.scopeKey, alertRules.name],
          set: { ...fields, updatedBy: by, updatedAt: now },
        }),
    );
  const [first, ...rest] = statements;
  if (first) await db.batch([first, ...rest]);
}

/** A namespace rule with the workspace its namespace is placed in now (null: not placed). */
export interface NamespaceRuleRow {
  rule: AlertRuleRow;
  /** The owning workspace's name (null only while it is being deleted). */
  workspace: string | null;
  placedIn: string | null;
}

/** What applies to one cluster, read in one batch: fleet, cluster and namespace rules. */
export interface ClusterRuleRows {
  fleet: AlertRuleRow[];
  cluster: AlertRuleRow[];
  namespace: NamespaceRuleRow[];
}

/*
 * Namespace rules are read apart from their placements and workspaces, not
 * joined: D1 returns rows keyed by column name, so joined tables' `name` and
 * `id` columns would overwrite the rule's.
 */
const namespaceRuleParts = (db: Database, clusterId: string) =>
  [
    db
      .select()
      .from(alertRules)
      .where(and(eq(alertRules.level, 'namespace'), eq(alertRules.clusterId, clusterId)))
      .orderBy(asc(alertRules.namespace), asc(alertRules.name)),
    db
      .select({ name: namespaces.name, workspaceId: namespaces.workspaceId })
      .from(namespaces)
      .where(eq(namespaces.clusterId, clusterId)),
    db
      .select({ id: workspaces.id, name: workspaces.name })
      .from(workspaces)
      .where(
        inArray(
          workspaces.id,
          db
            .select({ id: alertRules.workspaceId })
            .from(alertRules)
            .where(and(eq(alertRules.level, 'namespace'), eq(alertRules.clusterId, clusterId))),
        ),
      ),
  ] as const;

function namespaceRows(
  rules: AlertRuleRow[],
  placements: { name: string; workspaceId: string }[],
  owners: { id: string; name: string }[],
): NamespaceRuleRow[] {
  const placedIn = new Map(placements.map((p) => [p.name, p.workspaceId]));
  const names = new Map(owners.map((w) => [w.id, w.name]));
  return rules.map((rule) => ({
    rule,
    workspace: names.get(rule.workspaceId ?? '') ?? null,
    placedIn: placedIn.get(rule.namespace ?? '') ?? null,
  }));
}

export async function rulesForCluster(db: Database, clusterId: string): Promise<ClusterRuleRows> {
  const [fleet, cluster, rules, placements, owners] = await db.batch([
    db
      .select()
      .from(alertRules)
      .where(eq(alertRules.level, 'fleet'))
      .orderBy(asc(alertRules.groupName), asc(alertRules.name)),
    db
      .select()
      .from(alertRules)
      .where(eq(alertRules.scopeKey, scopeKeys.cluster(clusterId)))
      .orderBy(asc(alertRules.groupName), asc(alertRules.name)),
    ...namespaceRuleParts(db, clusterId),
  ]);
  return { fleet, cluster, namespace: namespaceRows(rules, placements, owners) };
}

/** Every namespace rule of a cluster with its placement (the cluster admins' view). */
export async function namespaceRulesOfCluster(
  db: Database,
  clusterId: string,
): Promise<NamespaceRuleRow[]> {
  const [rules, placements, owners] = await db.batch(namespaceRuleParts(db, clusterId));
  return namespaceRows(rules, placements, owners);
}

/** Every cluster's id and labels (a fleet rule's selector is matched against them). */
export async function clusterLabels(
  db: Database,
): Promise<{ id: string; name: string; labels: Record<string, string> }[]> {
  return db
    .select({ id: clusters.id, name: clusters.name, labels: clusters.labels })
    .from(clusters)
    .orderBy(asc(clusters.name));
}

/** One cluster's id, name and labels. */
export async function clusterLabelsById(
  db: Database,
  id: string,
): Promise<{ id: string; name: string; labels: Record<string, string> } | undefined> {
  return db
    .select({ id: clusters.id, name: clusters.name, labels: clusters.labels })
    .from(clusters)
    .where(eq(clusters.id, id))
    .get();
}

/** How many rules a target holds (the per-cluster cap is checked against it). */
export async function countRulesOfCluster(db: Database, clusterId: string): Promise<number> {
  const row = await db
    .select({ n: sql<number>`count(*)` })
    .from(alertRules)
    .where(eq(alertRules.clusterId, clusterId))
    .get();
  return row?.n ?? 0;
}

/** Namespaces of these workspaces placed in a cluster (a tenant's reach there). */
export async function namespacesOfWorkspacesIn(
  db: Database,
  clusterId: string,
  workspaceIds: string[],
): Promise<{ id: string; name: string; workspaceId: string }[]> {
  if (workspaceIds.length === 0) return [];
  const out: { id: string; name: string; workspaceId: string }[] = [];
  for (let i = 0; i < workspaceIds.length; i += 90)
    out.push(
      ...(await db
        .select({ id: namespaces.id, name: namespaces.name, workspaceId: namespaces.workspaceId })
        .from(namespaces)
        .where(
          and(
            eq(namespaces.clusterId, clusterId),
            inArray(namespaces.workspaceId, workspaceIds.slice(i, i + 90)),
          ),
        )),
    );
  return out;
}
