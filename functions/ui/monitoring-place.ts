/** Where a dashboard page is: a cluster's dashboards or a namespace's, with their API and page paths. */
export interface UiPlace {
  kind: 'cluster' | 'namespace';
  /** What the dashboards belong to, as the heading names it. */
  label: string;
  /** The dashboards list page, e.g. /ui/clusters/east/monitoring. */
  ui: string;
  /** The API collection, e.g. /api/v1/clusters/east/monitoring/dashboards. */
  api: string;
  /** Query parameters every page and API path of the place carries (the namespace's cluster). */
  params: Record<string, string>;
  /** Where "back" leads. */
  parent: string;
  /** The namespace queries are pinned to, for the note on the pages. */
  namespace?: string;
}

const enc = encodeURIComponent;

export function clusterUiPlace(cluster: string): UiPlace {
  return {
    kind: 'cluster',
    label: cluster,
    ui: `/ui/clusters/${enc(cluster)}/monitoring`,
    api: `/api/v1/clusters/${enc(cluster)}/monitoring/dashboards`,
    params: {},
    parent: `/ui/clusters/${enc(cluster)}`,
  };
}

export function namespaceUiPlace(ws: string, ns: string, cluster: string | undefined): UiPlace {
  return {
    kind: 'namespace',
    label: `${ws} / ${ns}${cluster ? ` (${cluster})` : ''}`,
    ui: `/ui/workspaces/${enc(ws)}/namespaces/${enc(ns)}/monitoring`,
    api: `/api/v1/workspaces/${enc(ws)}/namespaces/${enc(ns)}/monitoring/dashboards`,
    params: cluster ? { cluster } : {},
    parent: `/ui/workspaces/${enc(ws)}`,
    namespace: ns,
  };
}

/** `path` under the place with its parameters and `extra` ones. */
export function placeHref(
  place: UiPlace,
  path: string,
  extra: Record<string, string | undefined> = {},
): string {
  const search = new URLSearchParams(place.params);
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) search.set(k, v);
  const qs = search.toString();
  return `${path}${qs ? `?${qs}` : ''}`;
}
