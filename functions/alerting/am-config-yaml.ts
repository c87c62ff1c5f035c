import { RE2JS } from 're2js';
import type { LabelMatcher } from '../../db/schema/notification-receivers';
import { type TenantReceiver, type TenantRouting, UNROUTED } from './am-tenant-routing';
import type { InhibitRule } from './muting';

/**
 * Renders a caller's alert routing as an Alertmanager configuration that
 * Alertmanager's own loader accepts (amtool parses `config.original` with
 * it for `amtool config routes`). Every receiver route has
 * `continue: true`: an alert reaches every receiver whose owner and
 * matchers take it, as edgetower routes. Channels are edgetower's (API v1)
 * and their secrets stay there: receivers carry names only.
 */

type YamlValue = string | number | boolean | YamlValue[] | YamlMap;
interface YamlMap {
  [key: string]: YamlValue | undefined;
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** A JSON string is a YAML double-quoted scalar: tenant text can never break the document. */
const scalar = (v: string | number | boolean) =>
  typeof v === 'string' ? JSON.stringify(v) : `${v}`;

const isMap = (v: YamlValue): v is YamlMap => typeof v === 'object' && !Array.isArray(v);

/** Block YAML of a map; sequences of scalars in flow style (JSON arrays are YAML). */
function lines(map: YamlMap, indent: string): string[] {
  const out: string[] = [];
  for (const [key, value] of Object.entries(map)) {
    if (value === undefined) continue;
    if (!Array.isArray(value) && !isMap(value)) out.push(`${indent}${key}: ${scalar(value)}`);
    else if (isMap(value)) out.push(`${indent}${key}:`, ...lines(value, `${indent}  `));
    else if (!value.some(isMap))
      out.push(`${indent}${key}: [${value.map((v) => scalar(v as string)).join(', ')}]`);
    else {
      out.push(`${indent}${key}:`);
      for (const item of value.filter(isMap)) {
        const [first = '', ...rest] = lines(item, `${indent}    `);
        out.push(`${indent}  - ${first.trimStart()}`, ...rest);
      }
    }
  }
  return out;
}

/** Alertmanager's matcher syntax: the value quoted, with `\`, `"` and line feeds escaped. */
export const amMatcherText = (m: LabelMatcher) =>
  `${m.name}${m.op}"${m.value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;

/** Whether Alertmanager (Go's RE2) can load the matcher: its loader refuses the whole file otherwise. */
function loadable(m: LabelMatcher): boolean {
  if (!LABEL_NAME.test(m.name)) return false;
  if (m.op !== '=~' && m.op !== '!~') return true;
  try {
    RE2JS.compile(`^(?:${m.value})$`);
    return true;
  } catch {
    return false;
  }
}

/** Alertmanager refuses invalid names, duplicates and `...` beside other labels. */
function groupBy(labels: string[]): string[] {
  if (labels.includes('...')) return ['...'];
  return [...new Set(labels.filter((l) => LABEL_NAME.test(l)))];
}

/** Seconds as an Alertmanager duration: `30s`, `5m`, `4h`, `1h30m`. */
export function duration(seconds: number): string {
  if (seconds <= 0) return '0s';
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${s ? `${s}s` : ''}`;
}

function receiverRoute(r: TenantReceiver, skipped: string[]): YamlMap | undefined {
  if (!r.row.matchers.every(loadable)) {
    skipped.push(r.name);
    return undefined;
  }
  return {
    receiver: r.name,
    matchers: r.row.matchers.length ? r.row.matchers.map(amMatcherText) : undefined,
    group_by: groupBy(r.row.groupBy),
    group_wait: duration(r.row.groupWaitSeconds),
    group_interval: duration(r.row.groupIntervalSeconds),
    repeat_interval: duration(r.row.repeatIntervalSeconds),
    continue: true,
  };
}

const defined = <T>(items: (T | undefined)[]) => items.filter((i): i is T => i !== undefined);

function inhibitRule(rule: InhibitRule): YamlMap | undefined {
  if (![...rule.source, ...rule.target].every(loadable)) return undefined;
  return {
    source_matchers: rule.source.map(amMatcherText),
    target_matchers: rule.target.map(amMatcherText),
    equal: rule.equal.filter((l) => LABEL_NAME.test(l)),
  };
}

/** The YAML text of `routing`, headed by comments on how to read it. */
export function renderAmConfig(routing: TenantRouting): string {
  const skipped: string[] = [];
  const routes = [
    ...defined(routing.platform.map((r) => receiverRoute(r, skipped))),
    ...routing.branches.map((b) => ({
      receiver: UNROUTED,
      matchers: b.matchers.map(amMatcherText),
      continue: true,
      routes: defined(b.receivers.map((r) => receiverRoute(r, skipped))),
    })),
  ];
  const rules = defined(routing.inhibitRules.map(inhibitRule));
  const config: YamlMap = {
    route: { receiver: UNROUTED, routes: routes.length ? routes : undefined },
    receivers: [{ name: UNROUTED }, ...routing.receivers.map((r) => ({ name: r.name }))],
    inhibit_rules: rules.length ? rules : undefined,
  };
  const header = [
    '# Alert routing you may see, rendered by edgetower as an Alertmanager configuration.',
    '# Every receiver route continues: an alert reaches every receiver that takes it.',
    `# "${UNROUTED}" notifies nobody. Channels are managed under /api/v1/notification.`,
    ...(skipped.length
      ? [
          `# Left out (a regex Alertmanager cannot load): ${skipped.map((n) => JSON.stringify(n)).join(', ')}`,
        ]
      : []),
  ];
  return `${[...header, ...lines(config, '')].join('\n')}\n`;
}
