import type { I18n } from '../i18n';

export interface ChartLine {
  label: string;
  /** [unix seconds, value] */
  points: [number, number][];
}

const WIDTH = 320;
const HEIGHT = 140;
const PAD = { left: 4, right: 4, top: 8, bottom: 18 };

/**
 * A server-rendered SVG line chart (no script, no inline style: colours
 * come from the stylesheet's .c0–.c4 classes). Scales to the card's width;
 * a text summary (role=img + label, and a legend with totals) carries the
 * figures for screen readers.
 */
export function LineChart({
  i18n,
  title,
  unit,
  lines,
  start,
  end,
}: {
  i18n: I18n;
  title: string;
  unit: string;
  lines: ChartLine[];
  start: number;
  end: number;
}) {
  const values = lines.flatMap((l) => l.points.map(([, v]) => v));
  const max = Math.max(0, ...values) || 1;
  const span = Math.max(1, end - start);
  const x = (t: number) => PAD.left + ((t - start) / span) * (WIDTH - PAD.left - PAD.right);
  const y = (v: number) => PAD.top + (1 - v / max) * (HEIGHT - PAD.top - PAD.bottom);
  const summary = `${title}: ${lines.map((l) => l.label).join(', ') || '–'}; max ${i18n.number(max)} ${unit}`;
  return (
    <figure class="chart">
      <figcaption>
        <strong>{title}</strong> <span class="muted">({unit})</span>
      </figcaption>
      <svg
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        role="img"
        aria-label={summary}
        preserveAspectRatio="none"
      >
        <line
          class="axis"
          x1={PAD.left}
          y1={HEIGHT - PAD.bottom}
          x2={WIDTH - PAD.right}
          y2={HEIGHT - PAD.bottom}
        />
        <text class="tick" x={PAD.left} y={PAD.top + 2}>
          {i18n.number(Number(max.toPrecision(3)))}
        </text>
        <text class="tick" x={PAD.left} y={HEIGHT - 4}>
          {i18n.dateTime(start * 1000)}
        </text>
        {lines.map((line, i) => (
          <polyline
            class={`line c${i % 5}`}
            points={line.points.map(([t, v]) => `${x(t).toFixed(1)},${y(v).toFixed(1)}`).join(' ')}
          />
        ))}
      </svg>
      <ul class="legend">
        {lines.map((line, i) => (
          <li>
            <span class={`swatch c${i % 5}`} aria-hidden="true" />
            {line.label}:{' '}
            {i18n.number(Number(line.points.reduce((sum, [, v]) => sum + v, 0).toPrecision(4)))}{' '}
            {unit}
          </li>
        ))}
      </ul>
    </figure>
  );
}
