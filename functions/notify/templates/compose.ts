import type { WebhookAlert, WebhookPayload } from '../../alerting/route';
import type { ChannelConfig } from '../channel-configs';
import { fitMessage, type Overflow, type SizeLimit } from './fit';
import { type Words, wordsOf } from './languages';
import { fillPlaceholders } from './placeholders';

/** How a channel wants its messages written (plain settings of every channel type). */
export interface Presentation {
  words: Words;
  titleTemplate?: string;
  textTemplate?: string;
  overflow: Overflow;
}

const optionalString = (config: ChannelConfig, key: string) => {
  const value = config[key];
  return typeof value === 'string' && value ? value : undefined;
};

export function presentationOf(config: ChannelConfig): Presentation {
  return {
    words: wordsOf(config.language),
    titleTemplate: optionalString(config, 'titleTemplate'),
    textTemplate: optionalString(config, 'textTemplate'),
    overflow: config.overflow === 'split' ? 'split' : 'truncate',
  };
}

/** `(cluster east, namespace web)` in the channel's language, for the labels present. */
function whereOf(labels: Record<string, string>, names: (keyof Words)[], w: Words): string {
  const pairs = names.filter((n) => labels[n]).map((n) => `${String(w[n])} ${labels[n]}`);
  return pairs.length ? `${w.open}${pairs.join(w.comma)}${w.close}` : '';
}

const lookup =
  (
    base: Record<string, string | undefined>,
    labels: Record<string, string>,
    annotations: Record<string, string>,
  ) =>
  (name: string): string | undefined => {
    if (name.startsWith('labels.')) return labels[name.slice(7)];
    if (name.startsWith('annotations.')) return annotations[name.slice(12)];
    return base[name];
  };

/** The title line: `[FIRING:2] HighCPU (cluster east, namespace web)`, or the channel's template. */
export function titleFor(p: WebhookPayload, how: Presentation): string {
  const w = how.words;
  const firing = p.alerts.filter((a) => a.status === 'firing').length;
  const status = p.status === 'firing' ? w.firing : w.resolved;
  const name = p.commonLabels.alertname ?? p.groupLabels.alertname ?? p.receiver;
  if (how.titleTemplate) {
    const values = {
      status,
      count: String(firing),
      alertname: name,
      receiver: p.receiver,
      cluster: p.commonLabels.cluster,
      workspace: p.commonLabels.workspace,
      namespace: p.commonLabels.namespace,
      severity: p.commonLabels.severity,
    };
    return fillPlaceholders(how.titleTemplate, lookup(values, p.commonLabels, p.commonAnnotations));
  }
  const head = p.status === 'firing' ? `[${status}:${firing}]` : `[${status}]`;
  return `${head} ${name}${whereOf(p.commonLabels, ['cluster', 'workspace', 'namespace'], w)}`;
}

function lineFor(a: WebhookAlert, how: Presentation): string {
  const w = how.words;
  const status = a.status === 'firing' ? w.firing : w.resolved;
  const summary = a.annotations.summary ?? a.annotations.description ?? a.labels.alertname ?? '';
  if (how.textTemplate) {
    const values = {
      status,
      alertname: a.labels.alertname,
      severity: a.labels.severity,
      cluster: a.labels.cluster,
      workspace: a.labels.workspace,
      namespace: a.labels.namespace,
      node: a.labels.node,
      pod: a.labels.pod,
      summary,
      description: a.annotations.description,
      link: a.generatorURL,
      startsAt: a.startsAt,
    };
    return fillPlaceholders(how.textTemplate, lookup(values, a.labels, a.annotations));
  }
  const severity = a.labels.severity ? ` [${a.labels.severity}]` : '';
  const where = whereOf(
    a.labels,
    ['cluster', 'workspace', 'namespace', a.labels.pod ? 'pod' : 'node'],
    w,
  );
  const link = a.generatorURL ? ` — ${w.source}: ${a.generatorURL}` : '';
  return `${status}${severity} ${summary}${where}${link}`;
}

/** One line per alert (status, severity, summary, where, link), and how many were left out. */
export function linesFor(p: WebhookPayload, how: Presentation): string[] {
  const lines = p.alerts.map((a) => lineFor(a, how));
  if (p.truncatedAlerts) lines.push(how.words.more(p.truncatedAlerts));
  return lines;
}

/**
 * The notification as the channel will carry it: its title and the text of
 * each message, within the channel's size limit (cut or split as the
 * channel's `overflow` says). `decorate` turns the title and alert lines
 * into the channel's markup before the size is measured.
 */
export function composeMessage(
  payload: WebhookPayload,
  config: ChannelConfig,
  limit: SizeLimit,
  decorate: { title?: (t: string) => string; line?: (l: string) => string } = {},
): { title: string; parts: string[] } {
  const how = presentationOf(config);
  const title = titleFor(payload, how);
  const lines = linesFor(payload, how).map(decorate.line ?? ((l) => l));
  const head = decorate.title ? decorate.title(title) : title;
  return { title, parts: fitMessage(head, lines, limit, how.overflow, how.words.truncated) };
}

/** Title and body apart, for channels without a size limit (email, webhook template). */
export function composeText(
  payload: WebhookPayload,
  config: ChannelConfig,
): { title: string; text: string } {
  const how = presentationOf(config);
  return { title: titleFor(payload, how), text: linesFor(payload, how).join('\n') };
}
