import { stringify } from 'yaml';
import type { AppFormEdit } from './pages/app-form';

/** The parts of the apps API's answer the edit form starts from (and keeps on save). */
export interface AppSpecView {
  name: string;
  namespace: string;
  generation: number;
  manifests: Record<string, unknown>[];
  placement: { clusters: string[] } | { clusterSelector: { matchLabels: Record<string, string> } };
  nodes: 'any' | 'edge' | 'cloud';
  overrides: unknown[];
  rollout?: { maxUnavailableClusters?: number; progressDeadlineSeconds?: number };
  deleteTimeoutSeconds: number;
}

/**
 * The manifests as one YAML stream, as a person would write them: the
 * namespace left out (the app's own is put back) and a Secret's `keys`
 * dropped (its `data` already lists every key, each as `<redacted>`).
 */
export function manifestsYaml(manifests: Record<string, unknown>[]): string {
  return manifests
    .map((object) => {
      const rest = { ...object };
      if (object.kind === 'Secret') delete rest.keys;
      const metadata = { ...(rest.metadata as Record<string, unknown>) };
      delete metadata.namespace;
      return stringify({ ...rest, metadata }, { lineWidth: 0 });
    })
    .join('---\n');
}

/** The edit form's starting point for an app. */
export function editOf(app: AppSpecView): AppFormEdit {
  const selector =
    'clusterSelector' in app.placement ? app.placement.clusterSelector.matchLabels : undefined;
  return {
    name: app.name,
    generation: app.generation,
    selector,
    values: {
      namespace: app.namespace,
      manifests: manifestsYaml(app.manifests),
      nodes: app.nodes,
      clusters: 'clusters' in app.placement ? app.placement.clusters.join(',') : '',
      maxUnavailableClusters:
        app.rollout?.maxUnavailableClusters !== undefined
          ? String(app.rollout.maxUnavailableClusters)
          : '',
    },
  };
}

/**
 * The PUT body from the form and the app as it is: what the form does not
 * show (overrides, a selector placement, the progress deadline, the
 * deletion timeout) is kept as it is.
 */
export function replaceBody(
  app: AppSpecView,
  form: { namespace: string; manifests: string; nodes: string; clusters: string[] },
  maxUnavailable: string,
) {
  const deadline = app.rollout?.progressDeadlineSeconds;
  const rollout = maxUnavailable
    ? {
        maxUnavailableClusters: Number(maxUnavailable),
        ...(deadline !== undefined ? { progressDeadlineSeconds: deadline } : {}),
      }
    : undefined;
  return {
    namespace: form.namespace,
    manifests: form.manifests,
    placement: 'clusterSelector' in app.placement ? app.placement : { clusters: form.clusters },
    nodes: form.nodes || 'any',
    overrides: app.overrides,
    ...(rollout ? { rollout } : {}),
    deleteTimeoutSeconds: app.deleteTimeoutSeconds,
  };
}
