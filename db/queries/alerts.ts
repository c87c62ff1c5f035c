import { and, asc, desc, eq, gt, inArray, lte, sql } from 'drizzle-orm';
import type { Database } from '../client';
import { alertSilences, clusters, namespaces, notificationReceivers } from '../schema';
import type { LabelMatcher } from '../schema/notification-receivers';

/** D1 binds at most 100 parameters per statement. */
const SLICE = 90;
const slices = <T>(items: T[]) =>
  Array.from({ length: Math.ceil(items.length / SLICE) }, (_, i) =>
    items.slice(i * SLICE, (i + 1) * SLICE),
  );

export interface ClusterRef {
  id: string;
  name: string;
}

export async function clustersByName(db: Database, names: string[]): Promise<ClusterRef[]> {
  const out: ClusterRef[] = [];
  for (const part of slices([...new Set(names)]))
    out.push(
      ...(await db
        .select({ id: clusters.id, name: clusters.name })
        .from(clusters)
        .where(inArray(clusters.name, part))),
    );
  return out;
}

export async function allClusters(db: Database): Promise<ClusterRef[]> {
  return db
    .select({ id: clusters.id, name: clusters.name })
    .from(clusters)
    .orderBy(asc(clusters.name));
}

export interface Placement {
  namespaceId: string;
  name: string;
  clusterId: string;
  workspaceId: string;
  /** When the namespace was placed: alerts that ended before belong to whoever held it then. */
  createdAt: Date;
}

export type ReceiverRow = typeof notificationReceivers.$inferSelect;

/** Every receiver: routing needs them all (a few hundred rows at most). */
export async function allReceivers(db: Database): Promise<ReceiverRow[]> {
  return db.select().from(notificationReceivers).orderBy(asc(notificationReceivers.name));
}

export type SilenceRow = typeof alertSilences.$inferSelect;

export async function upsertSilence(
  db: Database,
  silence: {
    id: string;
    matchers: LabelMatcher[];
    startsAt: Date;
    endsAt: Date;
    createdBy: string;
    comment: string;
    author: string;
  },
): Promise<SilenceRow> {
  const now = new Date();
  const [row] = await db
    .insert(alertSilences)
    .values({ ...silence, updatedAt: now })
    .onConflictDoUpdate({
      target: alertSilences.id,
      set: {
        matchers: silence.matchers,
        startsAt: silence.startsAt,
        endsAt: silence.endsAt,
        createdBy: silence.createdBy,
        comment: silence.comment,
        author: silence.author,
        updatedAt: now,
      },
    })
    .returning();
  if (!row) throw new Error('upsert returned no row');
  return row;
}

export async function findSilence(db: Database, id: string): Promise<SilenceRow | undefined> {
  return db.select().from(alertSilences).where(eq(alertSilences.id, id)).get();
}

/** All silences, newest first (expired ones are kept for history). */
export async function listSilences(db: Database): Promise<SilenceRow[]> {
  return db.select().from(alertSilences).orderBy(desc(alertSilences.updatedAt)).limit(5000);
}

/** Silences in force at `now`. */
export async function activeSilences(db: Database, now: Date): Promise<SilenceRow[]> {
  return db
    .select()
    .from(alertSilences)
    .where(and(lte(alertSilences.startsAt, now), gt(alertSilences.endsAt, now)));
}

/**
 * Silences not yet expired (active or pending), for counting a tenant's;
 * with `cluster`, only those a `cluster="<cluster>"` matcher pins there.
 */
export async function unexpiredSilences(
  db: Database,
  now: Date,
  cluster?: string,
): Promise<Pick<SilenceRow, 'id' | 'matchers'>[]> {
  const pinned =
    cluster === undefined
      ? undefined
      : sql`EXISTS (SELECT 1 FROM json_each(${alertSilences.matchers}) AS m
          WHERE json_extract(m.value, '$.name') = 'cluster'
            AND json_extract(m.value, '$.op') = '='
            AND json_extract(m.value, '$.value') = ${cluster})`;
  return db
    .select({ id: alertSilences.id, matchers: alertSilences.matchers })
    .from(alertSilences)
    .where(and(gt(alertSilences.endsAt, now), pinned));
}

/** Ends a silence now (Alertmanager's DELETE expires, it never erases). */
export async function expireSilence(db: Database, id: string, now: Date): Promise<void> {
  await db
    .update(alertSilences)
    .set({ endsAt: now, updatedAt: now })
    .where(and(eq(alertSilences.id, id), gt(alertSilences.endsAt, now)));
}

/** Namespace placements called one of `names` in the clusters called one of `clusterNames`. */
async function placementsInNamedClusters(
  db: Database,
  clusterNames: string[],
  names: string[],
): Promise<Placement[]> {
  const uniqueClusters = [...new Set(clusterNames)];
  const uniqueNames = [...new Set(names)];
  if (!uniqueClusters.length || !uniqueNames.length) return [];
  const out: Placement[] = [];
  const perSlice = Math.max(1, SLICE - uniqueClusters.length);
  for (let i = 0; i < uniqueNames.length; i += perSlice)
    out.push(
      ...(await db
        .select({
          namespaceId: namespaces.id,
          name: namespaces.name,
          clusterId: namespaces.clusterId,
          workspaceId: namespaces.workspaceId,
          createdAt: namespaces.createdAt,
        })
        .from(namespaces)
        .innerJoin(clusters, eq(clusters.id, namespaces.clusterId))
        .where(
          and(
            inArray(clusters.name, uniqueClusters),
            inArray(namespaces.name, uniqueNames.slice(i, i + perSlice)),
          ),
        )),
    );
  return out;
}

/**
 * Resolves cluster names and (cluster, namespace) pairs found in alert
 * labels. The two lookups run side by side (placements join clusters by
 * name): alert intake waits for one round trip, not two.
 */
export async function tenancyOf(
  db: Database,
  labelSets: Record<string, string>[],
): Promise<{ clusterIds: Map<string, string>; placements: Map<string, Placement> }> {
  const names = labelSets.map((l) => l.cluster).filter((n): n is string => !!n);
  const namespaceNames = labelSets.map((l) => l.namespace).filter((n): n is string => !!n);
  const [refs, rows] = await Promise.all([
    names.length ? clustersByName(db, names) : [],
    placementsInNamedClusters(db, names, namespaceNames),
  ]);
  const clusterIds = new Map(refs.map((r) => [r.name, r.id]));
  return {
    clusterIds,
    placements: new Map(rows.map((p) => [`${p.clusterId}/${p.name}`, p])),
  };
}
