import type { DeliveryApp, KubeObject } from '../../protocol/delivery';
import { listOfApp } from './app-objects';
import type { AppRecord } from './app-record';
import { applyOrder, kindKey, labelled, refKey, refOf } from './objects';
import { fail, type PassContext } from './pass-context';
import { UnknownKindError } from './resources';

/**
 * How long after creating an app's namespace a 403 on apply counts as
 * transient: the editor's RoleBindings there come from role projection,
 * which sees the new namespace a moment later.
 */
const NEW_NAMESPACE_GRACE_MS = 60_000;

/**
 * Applies the app's current generation: its namespace (created for the
 * workspace where missing, refused if another's), a watch per kind, every
 * object by server-side apply as the editor in dependency order, then the
 * prune of what left the manifests. A refusal is `failed`; a transient
 * error throws (the caller retries with backoff).
 */
export async function applyPass(ctx: PassContext, record: AppRecord): Promise<void> {
  const app = record.app;
  if (!app) return;
  const { api } = ctx;
  record.phase = 'applying';
  ctx.scheduleReport();
  const ns = await api.ensureNamespace(app.namespace, app.workspace, app.identity);
  if (!ns.ok && ns.refused) return fail(ctx, record, ns.message);
  if (!ns.ok) throw new Error(ns.message);
  if (ns.created) record.namespaceCreatedAt = Date.now();

  const desired = new Map<string, KubeObject>();
  for (const manifest of app.manifests) {
    const obj = labelled(manifest, app);
    desired.set(refKey(refOf(obj, app.namespace)), obj);
  }
  // Watch every kind first, so the objects' status is seen from their first version on.
  for (const obj of desired.values()) {
    try {
      const resource = await ctx.resolve(obj.apiVersion, obj.kind);
      if (!resource.namespaced)
        return fail(
          ctx,
          record,
          `${obj.kind} is cluster-scoped; apps hold namespaced objects only`,
        );
      ctx.sources.ensure(resource, record);
      record.kinds.set(kindKey(obj.apiVersion, obj.kind), [obj.apiVersion, obj.kind]);
    } catch (error) {
      if (error instanceof UnknownKindError) return fail(ctx, record, error.message);
      throw error;
    }
  }
  record.desired = desired;
  for (const obj of applyOrder([...desired.values()])) {
    // Superseded (the next pass applies the newer generation) or no longer leading.
    if (record.app !== app || ctx.stopped()) return;
    const result = await api.apply(obj, app.identity);
    // In a namespace just created, the editor's RoleBindings (role projection) may not be there yet.
    if (!result.ok && result.status === 403 && namespaceIsNew(record))
      throw new Error(`${result.message} (waiting for role projection in a new namespace)`);
    if (!result.ok && result.refused) return fail(ctx, record, result.message);
    if (!result.ok) throw new Error(result.message);
  }
  await prune(ctx, record, app);
  if (record.app !== app) return;
  record.phase = 'applied';
  record.message = undefined;
  record.appliedAt = Date.now();
  record.backoff.reset();
  if (record.deadline) clearTimeout(record.deadline);
  // The report after the deadline says `failed` if the workloads are not ready by then.
  record.deadline = setTimeout(
    () => ctx.scheduleReport(0),
    app.progressDeadlineSeconds * 1000 + 10,
  );
  record.deadline.unref?.();
  ctx.log.info('app applied', {
    appId: app.appId,
    generation: app.generation,
    objects: desired.size,
  });
}

/** The agent created the app's namespace moments ago: a 403 there is retried for a while. */
function namespaceIsNew(record: AppRecord): boolean {
  return (
    record.namespaceCreatedAt !== undefined &&
    Date.now() - record.namespaceCreatedAt < NEW_NAMESPACE_GRACE_MS
  );
}

/** Deletes the app's objects that are no longer in its manifests. */
async function prune(ctx: PassContext, record: AppRecord, app: DeliveryApp): Promise<void> {
  // Generation 1 is the app's first: nothing older of it can exist.
  if (app.generation <= 1) return;
  for (const [apiVersion, kind] of ctx.sources.scanKinds(record)) {
    const items =
      ctx.sources.cachedOfApp(record, apiVersion, kind) ??
      (await listOfApp(ctx.api, ctx.log, record, apiVersion, kind));
    for (const item of items) {
      const ref = refOf(item, app.namespace);
      if (record.desired.has(refKey(ref))) continue;
      const result = await ctx.api.remove(ref, app.identity);
      if (!result.ok && !result.refused) throw new Error(result.message);
      if (!result.ok)
        ctx.log.warn('cannot prune', {
          appId: app.appId,
          kind,
          name: ref.name,
          error: result.message,
        });
      else ctx.log.info('pruned', { appId: app.appId, kind, name: ref.name });
    }
  }
}
