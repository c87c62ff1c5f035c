import { type AddressInfo, createServer, type Server, Socket } from 'node:net';
import type { WebSocket } from 'ws';
import type { AlertsPayload } from '../../agents/rules';
import type {
  EvaluatedRule,
  RuleEvaluation,
  RulesHealthFrame,
  RulesSyncFrame,
} from '../../protocol/rules';
import { encodeControl } from '../../protocol/tunnel';
import { startFakeEdge } from '../support/fake-edge';

/** Shared pieces of the rule-evaluation tests. */

export function rule(id: string, fields: Partial<EvaluatedRule> & { expr: string }): EvaluatedRule {
  return {
    id,
    name: id.replace(/[^A-Za-z0-9]/g, ''),
    level: 'cluster',
    forSeconds: 0,
    keepFiringForSeconds: 0,
    severity: 'warning',
    labels: {},
    annotations: {},
    metrics: [],
    ...fields,
  };
}

export function syncFrame(
  rules: EvaluatedRule[],
  hash = `h-${rules.map((r) => r.id).join(',')}`,
): RulesSyncFrame {
  return { type: 'rules-sync', hash, groups: [{ name: 'test', intervalSeconds: 10, rules }] };
}

export type SentAlert = AlertsPayload['alerts'][number] & { sentAt: number };

/** What the edge would have received: every alert of every batch, in order. */
export function flatten(payloads: { payload: AlertsPayload; at: number }[]): SentAlert[] {
  return payloads.flatMap(({ payload, at }) => payload.alerts.map((a) => ({ ...a, sentAt: at })));
}

export const healthOf = (frames: RulesHealthFrame[], id: string): RuleEvaluation | undefined =>
  frames.at(-1)?.rules.find((r) => r.id === id);

/**
 * A stand-in edge for agent-level rule tests: sends `rules-sync` after each
 * hello, records `rules-health` frames and `alerts` batches (deduplicated by
 * agent and seq, as the edge ingests them) and acks every batch.
 */
export interface RulesHub {
  url: string;
  sync: RulesSyncFrame | undefined;
  health: RulesHealthFrame[];
  /** Alerts batches as the edge ingests them (a resent seq counts once). */
  alerts: { agentId: string; seq: number; payload: AlertsPayload; at: number }[];
  connections: number;
  close(): Promise<void>;
}

export async function startRulesHub(token: string): Promise<RulesHub> {
  const seen = new Set<string>();
  const hub: RulesHub = {
    url: '',
    sync: undefined,
    health: [],
    alerts: [],
    connections: 0,
    close: async () => {},
  };
  const edge = await startFakeEdge({
    token,
    cluster: 'test',
    onConnection(ws: WebSocket) {
      hub.connections++;
      // The first message is the hello, answered with the welcome before this runs.
      ws.once('message', () =>
        setImmediate(() => {
          if (hub.sync) ws.send(encodeControl(hub.sync));
        }),
      );
    },
    onFrame(ws, frame) {
      if (frame.type === 'rules-health') hub.health.push(frame);
      if (frame.type !== 'batch') return;
      const key = `${frame.agentId}/${frame.seq}`;
      if (frame.kind === 'alerts' && !seen.has(key)) {
        seen.add(key);
        hub.alerts.push({
          agentId: frame.agentId ?? '',
          seq: frame.seq,
          payload: frame.payload as AlertsPayload,
          at: Date.now(),
        });
      }
      ws.send(encodeControl({ type: 'batch-ack', seq: frame.seq, kind: frame.kind }));
    },
  });
  hub.url = edge.url;
  hub.close = edge.close;
  return hub;
}

/** A TCP forwarder to `target` that a test can cut (an edge outage) and restore on the same port. */
export interface CuttableLink {
  url: string;
  cut(): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function cuttableLink(targetUrl: string): Promise<CuttableLink> {
  const target = new URL(targetUrl);
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  const listen = () =>
    new Promise<void>((resolve) => {
      const listening = createServer((client) => {
        const upstream = new Socket();
        sockets.add(client);
        sockets.add(upstream);
        upstream.connect(Number(target.port), target.hostname, () => {
          client.pipe(upstream).pipe(client);
        });
        const drop = () => {
          client.destroy();
          upstream.destroy();
          sockets.delete(client);
          sockets.delete(upstream);
        };
        client.on('error', drop).on('close', drop);
        upstream.on('error', drop).on('close', drop);
      });
      server = listening;
      listening.listen(port, '127.0.0.1', () => {
        port = (listening.address() as AddressInfo).port;
        resolve();
      });
    });
  const cut = async () => {
    const closing = server;
    server = undefined;
    for (const s of sockets) s.destroy();
    sockets.clear();
    if (closing) await new Promise<void>((resolve) => closing.close(() => resolve()));
  };
  await listen();
  return { url: `http://127.0.0.1:${port}`, cut, restore: listen, close: cut };
}
