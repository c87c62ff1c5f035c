/** A channel's size limit: what it counts and how much it takes. */
export interface SizeLimit {
  max: number;
  unit: 'bytes' | 'chars';
}

/** Too long for one message: cut it (default) or send it as several. */
export type Overflow = 'truncate' | 'split';

/** At most this many messages for one notification; the rest is cut. */
export const MAX_PARTS = 10;

const encoder = new TextEncoder();
export const sizeOf = (text: string, unit: SizeLimit['unit']) =>
  unit === 'bytes' ? encoder.encode(text).length : [...text].length;

/** Cuts `text` to the limit on a character boundary, ending with `marker` when cut. */
export function truncateTo(text: string, limit: SizeLimit, marker: string): string {
  if (sizeOf(text, limit.unit) <= limit.max) return text;
  const tail = `\n${marker}`;
  let used = sizeOf(tail, limit.unit);
  let out = '';
  for (const ch of text) {
    const size = sizeOf(ch, limit.unit);
    if (used + size > limit.max) break;
    out += ch;
    used += size;
  }
  return out + tail;
}

/**
 * The message (title line, then one line per alert) as one or more texts
 * within `limit`. Split: lines are packed whole into parts, each headed by
 * the title and "(i/n)"; a line too long for any part is cut; past
 * MAX_PARTS the last part is cut.
 */
export function fitMessage(
  title: string,
  lines: string[],
  limit: SizeLimit,
  overflow: Overflow,
  marker: string,
): string[] {
  const whole = [title, ...lines].join('\n');
  if (sizeOf(whole, limit.unit) <= limit.max) return [whole];
  if (overflow === 'truncate') return [truncateTo(whole, limit, marker)];
  // Room for " (10/10)" after the title, whatever the part count turns out to be.
  const head = (i: number, n: number) => `${title} (${i}/${n})`;
  const room = limit.max - sizeOf(head(MAX_PARTS, MAX_PARTS), limit.unit) - 1;
  const bodies: string[][] = [[]];
  let used = 0;
  for (const raw of lines) {
    const line = room > 0 ? truncateTo(raw, { ...limit, max: room }, marker) : '';
    const size = sizeOf(line, limit.unit) + 1;
    const current = bodies[bodies.length - 1] ?? [];
    if (used + size > room && current.length > 0) {
      bodies.push([line]);
      used = size;
    } else {
      current.push(line);
      used += size;
    }
  }
  const kept = bodies.slice(0, MAX_PARTS);
  const parts = kept.map((body, i) => [head(i + 1, kept.length), ...body].join('\n'));
  if (bodies.length > MAX_PARTS) {
    const last = parts.length - 1;
    parts[last] = truncateTo(`${parts[last]}\n${marker}`, limit, marker);
  }
  return parts;
}
