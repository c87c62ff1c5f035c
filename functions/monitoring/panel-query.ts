import type { MonitoringPanel } from '../../db/schema';
import type { Env } from '../env';
import { atPosition, checkQuery } from './panel-check';
import { type PromRange, prometheusGet } from './prometheus-call';
import { DEFAULT_RANGE, type PanelData, type PanelRange, panelRanges } from './schemas';

/** Lines a chart draws; more would hide each other on a phone. */
export const MAX_SERIES = 6;
/** Points per line: enough for a 320-pixel chart. */
const POINTS = 60;

export function panelView(panel: MonitoringPanel) {
  return {
    id: panel.id,
    title: panel.title,
    query: panel.query,
    unit: (panel.unit ?? null) as PanelData['panel']['unit'],
    range: (panel.range ?? DEFAULT_RANGE) as PanelRange,
  };
}

/** A step that gives about POINTS points, at least 15 s (a usual scrape interval). */
export const stepFor = (seconds: number) => Math.max(15, Math.round(seconds / POINTS));

const lastValue = (s: { points: [number, number][] }) => s.points.at(-1)?.[1] ?? -Infinity;

/**
 * Runs one panel's query as query_range over its range, pinned to the
 * place's namespaces again (a stored query is never trusted as scoped).
 * The lines kept are the highest by their last value.
 */
export async function runPanel(
  env: Env,
  clusterId: string,
  panel: MonitoringPanel,
  pinTo: readonly string[] | undefined,
  options: { range?: PanelRange | undefined; now?: number } = {},
): Promise<PanelData> {
  const view = panelView(panel);
  const range = options.range ?? view.range;
  const end = Math.floor((options.now ?? Date.now()) / 1000);
  const step = stepFor(panelRanges[range]);
  const start = end - panelRanges[range];
  const base = { panel: { ...view, range }, start, end, step, series: [], omitted: 0 };
  const checked = checkQuery(panel.query, pinTo);
  if (!checked.ok)
    return { ...base, error: { code: checked.code, message: atPosition(checked.error) } };
  const answer = await prometheusGet<{ resultType?: string; result?: PromRange[] }>(
    env,
    clusterId,
    'query_range',
    { query: checked.expr, start: String(start), end: String(end), step: String(step) },
  );
  if (!answer.ok) return { ...base, error: { code: answer.code, message: answer.message } };
  const series = (answer.data.result ?? []).map((s) => ({
    labels: s.metric ?? {},
    points: (s.values ?? [])
      .map(([t, v]) => [Number(t), Number(v)] as [number, number])
      .filter(([t, v]) => Number.isFinite(t) && Number.isFinite(v)),
  }));
  series.sort((a, b) => lastValue(b) - lastValue(a));
  return {
    ...base,
    series: series.slice(0, MAX_SERIES),
    omitted: Math.max(0, series.length - MAX_SERIES),
    error: null,
  };
}
