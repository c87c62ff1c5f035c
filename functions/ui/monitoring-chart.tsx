import type { PanelUnit } from '../monitoring/schemas';
import { axisTicks, formatValue } from './monitoring-units';

export interface SeriesLine {
  label: string;
  points: [number, number][];
}

// The viewBox is about as wide as a phone's card, so 12-unit text is >= 11 px there.
const WIDTH = 320;
const HEIGHT = 170;
// Room on the left for marks like "1.5 GiB/s" at 12 units.
const PAD = { left: 64, right: 8, top: 10, bottom: 22 };
/** Dash patterns beyond the five colour classes (which dash c1–c4 themselves). */
const EXTRA_DASH = ['10 4', '4 2 1 2'];

function timeLabel(t: number, span: number): string {
  const iso = new Date(t * 1000).toISOString();
  return span > 2 * 86_400 ? iso.slice(5, 10) : iso.slice(11, 16);
}

/** A series' name from its labels: the labels that differ between the lines. */
export function seriesLabels(series: { labels: Record<string, string> }[]): string[] {
  const keys = new Set(series.flatMap((s) => Object.keys(s.labels)));
  const varying = [...keys].filter(
    (k) => k !== '__name__' && new Set(series.map((s) => s.labels[k] ?? '')).size > 1,
  );
  return series.map((s, i) => {
    const shown = (varying.length ? varying : Object.keys(s.labels).filter((k) => k !== '__name__'))
      .map((k) => `${k}="${s.labels[k] ?? ''}"`)
      .join(', ');
    return shown || s.labels.__name__ || `#${i + 1}`;
  });
}

/**
 * A server-rendered SVG line chart: gridlines with unit-aware marks on the
 * value axis, start/middle/end times, each line in its own colour and dash
 * so overlapping lines stay apart. No script, no inline style (colours
 * from the shared .c0–.c4 classes, the rest as SVG attributes); the legend
 * and aria-label carry the figures for screen readers.
 */
export function SeriesChart(props: {
  title: string;
  unit: PanelUnit | null;
  lines: SeriesLine[];
  start: number;
  end: number;
  summaryLabel: string;
}) {
  const { unit, lines, start, end } = props;
  const values = lines.flatMap((l) => l.points.map(([, v]) => v));
  const rawMin = Math.min(0, ...values);
  const rawMax = values.length ? Math.max(...values) : 1;
  const ticks = axisTicks(rawMin, rawMax === rawMin ? rawMin + 1 : rawMax, unit);
  const min = ticks[0] ?? 0;
  const max = ticks.at(-1) ?? 1;
  const span = Math.max(1, end - start);
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  // Whole units: a unit is about a pixel on a phone, and every digit counts on the wire.
  const round = (n: number) => Math.round(n);
  const x = (t: number) => round(PAD.left + ((t - start) / span) * plotW);
  const y = (v: number) => round(PAD.top + (1 - (v - min) / (max - min || 1)) * plotH);
  const times = [start, start + span / 2, end];
  return (
    <figure class="mchart">
      <svg
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        role="img"
        aria-label={`${props.title}: ${props.summaryLabel}`}
        font-size="12"
      >
        {ticks.map((v) => (
          <g>
            <line class="grid" x1={PAD.left} x2={WIDTH - PAD.right} y1={y(v)} y2={y(v)} />
            <text class="tick" x={PAD.left - 4} y={y(v) + 4} text-anchor="end">
              {formatValue(v, unit)}
            </text>
          </g>
        ))}
        {times.map((t, i) => (
          <text
            class="tick"
            x={x(t)}
            y={HEIGHT - 6}
            text-anchor={i === 0 ? 'start' : i === 2 ? 'end' : 'middle'}
          >
            {timeLabel(t, span)}
          </text>
        ))}
        <line class="axis" x1={PAD.left} x2={PAD.left} y1={PAD.top} y2={HEIGHT - PAD.bottom} />
        {lines.map((line, i) => (
          <polyline
            class={`line c${i % 5}`}
            stroke-dasharray={i >= 5 ? EXTRA_DASH[(i - 5) % EXTRA_DASH.length] : undefined}
            points={line.points.map(([t, v]) => `${x(t)},${y(v)}`).join(' ')}
          />
        ))}
      </svg>
      <ul class="legend">
        {lines.map((line, i) => (
          <li>
            <span class={`swatch c${i % 5}${i >= 5 ? ' alt' : ''}`} aria-hidden="true" />
            <span class="series">{line.label}</span>{' '}
            <strong>{formatValue(line.points.at(-1)?.[1] ?? Number.NaN, unit)}</strong>
          </li>
        ))}
      </ul>
    </figure>
  );
}
