import type { PanelUnit } from '../monitoring/schemas';

const BINARY = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
const SI = ['', 'k', 'M', 'G', 'T', 'P'];

/** Trims a number to at most 3 significant digits, without trailing zeros. */
const short = (n: number) => String(Number(n.toPrecision(3)));

function scaled(value: number, base: number, names: string[]): [number, string] {
  let i = 0;
  let v = Math.abs(value);
  while (v >= base && i < names.length - 1) {
    v /= base;
    i++;
  }
  return [Math.sign(value) * v, names[i] ?? ''];
}

/**
 * A value as the axis and legend show it, by the panel's unit: binary
 * prefixes for bytes, millicores under one core, %, s/ms, SI otherwise.
 */
export function formatValue(value: number, unit: PanelUnit | null): string {
  if (!Number.isFinite(value)) return '–';
  switch (unit) {
    case 'bytes':
    case 'bytes/s': {
      const [v, name] = scaled(value, 1024, BINARY);
      return `${short(v)} ${name}${unit === 'bytes/s' ? '/s' : ''}`;
    }
    case 'percent':
      return `${short(value)}%`;
    case 'cores':
      return Math.abs(value) < 1 && value !== 0 ? `${short(value * 1000)}m` : short(value);
    case 'seconds':
      if (Math.abs(value) < 1 && value !== 0) return `${short(value * 1000)} ms`;
      if (Math.abs(value) >= 3600) return `${short(value / 3600)} h`;
      if (Math.abs(value) >= 60) return `${short(value / 60)} min`;
      return `${short(value)} s`;
    case 'ops': {
      const [v, name] = scaled(value, 1000, SI);
      return `${short(v)}${name}/s`;
    }
    default: {
      const [v, name] = scaled(value, 1000, SI);
      return `${short(v)}${name}`;
    }
  }
}

/** 1, 2, 2.5 or 5 times a power of ten, at least `raw`. */
function niceStep(raw: number): number {
  const power = 10 ** Math.floor(Math.log10(raw));
  const fraction = raw / power;
  const nice =
    fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 2.5 ? 2.5 : fraction <= 5 ? 5 : 10;
  return nice * power;
}

/**
 * Axis marks from min to max (about `count` steps), in round numbers of
 * the unit the labels use (GiB steps for bytes, not 10^9).
 */
export function axisTicks(min: number, max: number, unit: PanelUnit | null, count = 4): number[] {
  if (!(max > min)) return [min, min + 1];
  const base = unit === 'bytes' || unit === 'bytes/s' ? 1024 : 1000;
  const scale =
    base ** Math.max(0, Math.floor(Math.log(Math.max(Math.abs(max), 1)) / Math.log(base)));
  const step = niceStep((max - min) / scale / count) * scale;
  const first = Math.floor(min / step) * step;
  const ticks: number[] = [];
  for (let v = first; v < max + step * 0.999 && ticks.length < 12; v += step)
    ticks.push(Number(v.toPrecision(12)));
  return ticks;
}
