import type { AppClusterRow, AppRecord } from '../../db/queries/apps';
import type { DeliveredResource } from '../../protocol/delivery';
import { effectiveState, rolloutVerdict } from './rollout';
import type { AppSpec, appPhases } from './schemas';
import { redactManifests } from './secrets';

type Phase = (typeof appPhases)[number];

/** The app as the API shows it: Secrets redacted, status aggregated from its cluster entries. */
export function appView(
  app: AppRecord,
  workspace: string,
  rows: AppClusterRow[],
  now: Date,
  extra: { mayKeepObjects?: string[] } = {},
) {
  const spec = app.spec as AppSpec;
  const clusters = rows.map((row) => {
    const state = effectiveState(row);
    return {
      cluster: row.cluster,
      state,
      observedGeneration: row.observedGeneration,
      targetGeneration: row.targetGeneration,
      connection: row.connectionId,
      ...(row.message ? { message: row.message } : {}),
      // A cluster that never reported has the column's default; only a list is a report.
      resources: Array.isArray(row.resources) ? (row.resources as DeliveredResource[]) : [],
    };
  });
  const verdict = rolloutVerdict(app, spec, rows, now);
  const halted =
    app.halted && app.halted.generation === app.generation
      ? { cluster: app.halted.cluster, message: app.halted.message }
      : verdict.halt;
  const placed = rows.filter((r) => !r.removing);
  const states = placed.map(effectiveState);
  const ready =
    placed.every((r) => r.targetGeneration === app.generation) &&
    states.every((s) => s === 'ready');
  let phase: Phase;
  if (app.deletingAt) phase = 'Deleting';
  else if (halted) phase = 'Halted';
  else if (ready) phase = 'Ready';
  else if (states.some((s) => s === 'failed' || s === 'unreachable')) phase = 'Degraded';
  else phase = 'Progressing';
  return {
    name: app.name,
    workspace,
    namespace: app.namespace,
    generation: app.generation,
    manifests: redactManifests(app.manifests as unknown[]),
    placement: spec.placement,
    nodes: spec.nodes,
    overrides: spec.overrides,
    ...(spec.rollout ? { rollout: spec.rollout } : {}),
    deleteTimeoutSeconds: app.deleteTimeoutSeconds,
    editor: { user: app.editorUser, groups: app.editorGroups },
    createdBy: app.createdBy,
    createdAt: app.createdAt.toISOString(),
    updatedAt: app.updatedAt.toISOString(),
    status: {
      phase,
      ...(halted
        ? { halted, message: `rollout halted at cluster "${halted.cluster}": ${halted.message}` }
        : {}),
      clusters,
      ...(extra.mayKeepObjects ? { mayKeepObjects: extra.mayKeepObjects } : {}),
    },
  };
}
