import type { WebhookPayload } from '../alerting/route';

/** A one-line title: `[FIRING:2] HighCPU (cluster east, namespace web)`. */
export function titleOf(p: WebhookPayload): string {
  const firing = p.alerts.filter((a) => a.status === 'firing').length;
  const head = p.status === 'firing' ? `[FIRING:${firing}]` : '[RESOLVED]';
  const name = p.commonLabels.alertname ?? p.groupLabels.alertname ?? p.receiver;
  const where = ['cluster', 'namespace']
    .filter((k) => p.commonLabels[k])
    .map((k) => `${k} ${p.commonLabels[k]}`)
    .join(', ');
  return `${head} ${name}${where ? ` (${where})` : ''}`;
}

/** One line per alert: status, severity, summary, where. */
export function linesOf(p: WebhookPayload): string[] {
  const lines = p.alerts.map((a) => {
    const summary = a.annotations.summary ?? a.annotations.description ?? a.labels.alertname ?? '';
    const severity = a.labels.severity ? ` [${a.labels.severity}]` : '';
    const where = [a.labels.cluster, a.labels.namespace, a.labels.pod ?? a.labels.node]
      .filter(Boolean)
      .join('/');
    return `${a.status === 'firing' ? 'FIRING' : 'RESOLVED'}${severity} ${summary}${where ? ` (${where})` : ''}`;
  });
  if (p.truncatedAlerts) lines.push(`… and ${p.truncatedAlerts} more`);
  return lines;
}

const encoder = new TextEncoder();

/**
 * Cuts `text` to at most `maxBytes` of UTF-8 (channels count bytes: WeCom
 * 4096, DingTalk 20,000), on a character boundary, marking the cut.
 */
export function truncateBytes(text: string, maxBytes: number): string {
  if (encoder.encode(text).length <= maxBytes) return text;
  const marker = '\n…(truncated)';
  let out = '';
  let used = encoder.encode(marker).length;
  for (const ch of text) {
    const size = encoder.encode(ch).length;
    if (used + size > maxBytes) break;
    out += ch;
    used += size;
  }
  return out + marker;
}

export const plainText = (p: WebhookPayload, maxBytes: number) =>
  truncateBytes([titleOf(p), ...linesOf(p)].join('\n'), maxBytes);
