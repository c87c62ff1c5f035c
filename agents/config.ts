import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { isLogLevel, type LogLevel } from './log';

/** Everything the agent needs to run, from flags with environment fallbacks. */
export interface AgentConfig {
  hubUrl: string;
  token: string;
  /** Absent: in-cluster config (ServiceAccount token and CA). */
  kubeconfig?: string;
  prometheusUrl?: string;
  alertmanagerListen?: HostPort;
  /** Absent: spooling is in memory only. */
  dataDir?: string;
  meteringIntervalSeconds: number;
  /** "max": cpu and memory charged as max(request, usage); "usage": usage only. */
  meteringCharging: 'max' | 'usage';
  healthListen: HostPort;
  logLevel: LogLevel;
  /** Namespace of the leader-election Lease. */
  namespace: string;
  /** This replica's identity (the pod name in a cluster). */
  agentId: string;
  /** Where to serve the workspace-quota admission webhook (HTTPS); absent: no webhook. */
  webhookListen?: HostPort;
  /** URL the API server calls the webhook at; absent: the agent's Service in its namespace. */
  webhookUrl?: string;
  /** What the API server does when no agent answers the webhook (absent: Fail). */
  webhookFailurePolicy?: 'Fail' | 'Ignore';
  /** PEM file of the CA the API server's client certificate must chain to; absent: no client auth. */
  webhookClientCa?: string;
}

export interface HostPort {
  host: string;
  port: number;
}

interface FlagSpec {
  env: string;
  description: string;
  placeholder: string;
  default?: string;
}

const FLAGS = {
  hub: {
    env: 'EDGETOWER_HUB',
    placeholder: '<url>',
    description: 'edge URL the agent dials (https://...)',
  },
  token: {
    env: 'EDGETOWER_TOKEN',
    placeholder: '<token>',
    description: "the cluster's join token",
  },
  kubeconfig: {
    env: 'EDGETOWER_KUBECONFIG',
    placeholder: '<file>',
    description: 'kubeconfig file; in-cluster ServiceAccount config when omitted',
  },
  'prometheus-url': {
    env: 'EDGETOWER_PROMETHEUS_URL',
    placeholder: '<url>',
    description: 'in-cluster Prometheus: the monitoring passthrough, and alerting rules (leader)',
  },
  'alertmanager-listen': {
    env: 'EDGETOWER_ALERTMANAGER_LISTEN',
    placeholder: '<host:port>',
    description: 'address for the Alertmanager webhook receiver',
  },
  'data-dir': {
    env: 'EDGETOWER_DATA_DIR',
    placeholder: '<dir>',
    description: 'directory for the durable spool (metering, alerts)',
  },
  'metering-interval': {
    env: 'EDGETOWER_METERING_INTERVAL',
    placeholder: '<seconds>',
    description: 'seconds between metering samples',
    default: '60',
  },
  'metering-charging': {
    env: 'EDGETOWER_METERING_CHARGING',
    placeholder: 'max|usage',
    description: 'charge cpu/memory as max(request, usage), or usage only',
    default: 'max',
  },
  'health-listen': {
    env: 'EDGETOWER_HEALTH_LISTEN',
    placeholder: '<host:port>',
    description: 'address of the /healthz and /readyz server',
    default: '0.0.0.0:8081',
  },
  'log-level': {
    env: 'EDGETOWER_LOG_LEVEL',
    placeholder: '<level>',
    description: 'debug | info | warn | error',
    default: 'info',
  },
  namespace: {
    env: 'EDGETOWER_NAMESPACE',
    placeholder: '<name>',
    description:
      'namespace of the leader-election Lease (default: own namespace, else edgetower-system)',
  },
  'agent-id': {
    env: 'EDGETOWER_AGENT_ID',
    placeholder: '<id>',
    description: 'replica identity (default: $POD_NAME, else the host name)',
  },
  'webhook-listen': {
    env: 'EDGETOWER_WEBHOOK_LISTEN',
    placeholder: '<host:port>',
    description: 'serve the workspace-quota admission webhook (HTTPS) here',
  },
  'webhook-url': {
    env: 'EDGETOWER_WEBHOOK_URL',
    placeholder: '<url>',
    description:
      'https URL the API server calls the webhook at (default: Service edgetower-agent-webhook)',
  },
  'webhook-failure-policy': {
    env: 'EDGETOWER_WEBHOOK_FAILURE_POLICY',
    placeholder: '<Fail|Ignore>',
    description:
      'when no agent answers: Fail (default) refuses pods of capped workspaces, Ignore admits them',
  },
  'webhook-client-ca': {
    env: 'EDGETOWER_WEBHOOK_CLIENT_CA',
    placeholder: '<file>',
    description:
      "require the API server's client certificate, issued by this CA (PEM), on the webhook",
  },
} satisfies Record<string, FlagSpec>;

type FlagName = keyof typeof FLAGS;

export function usage(): string {
  const lines = [
    'Usage: npm run agent -- --hub <url> --token <token> [options]',
    '',
    'The edgetower in-cluster agent: dials the edge, pushes inventory, serves proxied requests.',
    'Every flag can also be given as the environment variable shown.',
    '',
  ];
  for (const [name, spec] of Object.entries(FLAGS) as [FlagName, FlagSpec][]) {
    const left = `  --${name} ${spec.placeholder}`.padEnd(36);
    const def = spec.default ? ` (default ${spec.default})` : '';
    lines.push(`${left}${spec.description}${def}  [${spec.env}]`);
  }
  lines.push(`${'  -h, --help'.padEnd(36)}show this help`);
  return `${lines.join('\n')}\n`;
}

export type ParseResult =
  | { kind: 'config'; config: AgentConfig }
  | { kind: 'help' }
  | { kind: 'error'; message: string };

function parseHostPort(flag: string, text: string): HostPort | string {
  const match = /^(.*):(\d{1,5})$/.exec(text);
  const port = match ? Number(match[2]) : Number.NaN;
  if (!match || port > 65535) return `--${flag} must be host:port, got "${text}"`;
  return { host: (match[1] ?? '').replace(/^\[|\]$/g, '') || '0.0.0.0', port };
}

function parseUrl(flag: string, text: string): string | { error: string } {
  try {
    const url = new URL(text);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      return { error: `--${flag} must be an http(s) URL, got "${text}"` };
    }
    return text.replace(/\/+$/, '');
  } catch {
    return { error: `--${flag} must be an http(s) URL, got "${text}"` };
  }
}

export interface ParseContext {
  env: Record<string, string | undefined>;
  /** The in-cluster namespace file's content, when present. */
  podNamespace?: string;
}

/** Flags win over environment variables, which win over defaults. */
export function parseConfig(argv: string[], context: ParseContext): ParseResult {
  const options = Object.fromEntries(
    Object.keys(FLAGS).map((name) => [name, { type: 'string' as const }]),
  ) as Record<FlagName, { type: 'string' }>;
  let values: Partial<Record<FlagName | 'help', string | boolean>>;
  try {
    values = parseArgs({
      args: argv,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (err) {
    return { kind: 'error', message: err instanceof Error ? err.message : String(err) };
  }
  if (values.help) return { kind: 'help' };

  const get = (name: FlagName): string | undefined => {
    const flag = values[name];
    if (typeof flag === 'string' && flag !== '') return flag;
    const fromEnv = context.env[FLAGS[name].env];
    if (fromEnv) return fromEnv;
    return (FLAGS[name] as FlagSpec).default;
  };

  const missing = (['hub', 'token'] as const).filter((name) => !get(name));
  if (missing.length > 0) {
    const list = missing.map((name) => `--${name} (or ${FLAGS[name].env})`).join(' and ');
    return { kind: 'error', message: `missing required ${list}` };
  }

  const hub = parseUrl('hub', get('hub') as string);
  if (typeof hub !== 'string') return { kind: 'error', message: hub.error };
  let prometheusUrl: string | undefined;
  const promText = get('prometheus-url');
  if (promText) {
    const parsed = parseUrl('prometheus-url', promText);
    if (typeof parsed !== 'string') return { kind: 'error', message: parsed.error };
    prometheusUrl = parsed;
  }
  const interval = Number(get('metering-interval'));
  if (!Number.isInteger(interval) || interval < 1) {
    return {
      kind: 'error',
      message: `--metering-interval must be a positive whole number of seconds, got "${get('metering-interval')}"`,
    };
  }
  const charging = get('metering-charging');
  if (charging !== 'max' && charging !== 'usage')
    return {
      kind: 'error',
      message: `--metering-charging must be max or usage, got "${charging}"`,
    };
  const level = get('log-level') as string;
  if (!isLogLevel(level))
    return {
      kind: 'error',
      message: `--log-level must be debug, info, warn or error, got "${level}"`,
    };
  const health = parseHostPort('health-listen', get('health-listen') as string);
  if (typeof health === 'string') return { kind: 'error', message: health };
  let alertmanagerListen: HostPort | undefined;
  const amText = get('alertmanager-listen');
  if (amText) {
    const parsed = parseHostPort('alertmanager-listen', amText);
    if (typeof parsed === 'string') return { kind: 'error', message: parsed };
    alertmanagerListen = parsed;
  }

  let webhookListen: HostPort | undefined;
  const webhookText = get('webhook-listen');
  if (webhookText) {
    const parsed = parseHostPort('webhook-listen', webhookText);
    if (typeof parsed === 'string') return { kind: 'error', message: parsed };
    webhookListen = parsed;
  }
  const webhookUrl = get('webhook-url');
  if (webhookUrl !== undefined && !/^https:\/\/[^/]/.test(webhookUrl))
    return { kind: 'error', message: `--webhook-url must be an https URL, got "${webhookUrl}"` };
  const failurePolicy = get('webhook-failure-policy');
  if (failurePolicy !== undefined && failurePolicy !== 'Fail' && failurePolicy !== 'Ignore')
    return {
      kind: 'error',
      message: `--webhook-failure-policy must be Fail or Ignore, got "${failurePolicy}"`,
    };

  const webhookClientCa = get('webhook-client-ca');
  if (webhookClientCa !== undefined && !webhookListen)
    return {
      kind: 'error',
      message:
        '--webhook-client-ca needs --webhook-listen (it secures the webhook that flag serves)',
    };

  return {
    kind: 'config',
    config: {
      hubUrl: hub,
      token: get('token') as string,
      kubeconfig: get('kubeconfig'),
      prometheusUrl,
      alertmanagerListen,
      dataDir: get('data-dir'),
      meteringIntervalSeconds: interval,
      meteringCharging: charging,
      healthListen: health,
      logLevel: level,
      namespace: get('namespace') ?? context.podNamespace?.trim() ?? 'edgetower-system',
      agentId: get('agent-id') ?? context.env.POD_NAME ?? hostname(),
      webhookListen,
      webhookUrl,
      webhookFailurePolicy: failurePolicy,
      webhookClientCa,
    },
  };
}
