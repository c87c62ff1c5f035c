import { z } from 'zod';
import { type KubeClient, kubeErrorFrom } from '../kube';
import type { Logger } from '../log';
import type { TrackedAlert } from './alert-state';

/**
 * Pending and firing alerts survive a leader hand-over in a ConfigMap in
 * the agent's namespace: the leader writes it (debounced, only on change),
 * the next leader reads it before its first evaluation, so a hand-over
 * neither restarts a `for` clock nor sends a firing alert again as new.
 *
 * Why a ConfigMap and not the Lease: the state can be tens of KiB and
 * changes with every resend, while the Lease is renewed every 2 s by every
 * replica; and why not the edge: leadership moves while the edge is away.
 * The agent's Role may get/update this one name (and create ConfigMaps in
 * its own namespace, which RBAC cannot narrow by name).
 */
export const RULE_STATE_CONFIGMAP = 'edgetower-rule-state';
const DATA_KEY = 'state.json';
/** Bytes of state kept (a ConfigMap holds 1 MiB). */
export const MAX_STATE_BYTES = 512 * 1024;

const labels = z.record(z.string(), z.string());
const persistedAlert = z.object({
  labels,
  annotations: labels.optional(),
  value: z.number().or(z.string()).transform(Number),
  state: z.enum(['pending', 'firing', 'inactive']),
  activeAt: z.number(),
  firedAt: z.number().optional(),
  resolvedAt: z.number().optional(),
  lastSentAt: z.number().optional(),
  keepFiringSince: z.number().optional(),
});
const persistedState = z.object({
  version: z.literal(1),
  writtenAt: z.number(),
  rules: z.record(z.string(), z.array(persistedAlert)),
});

/** Rule id → its alerts. */
export type RuleStateSnapshot = Record<string, TrackedAlert[]>;

export interface RuleStateStore {
  load(): Promise<RuleStateSnapshot | undefined>;
  save(snapshot: RuleStateSnapshot): Promise<void>;
}

const NUMBER_AS_TEXT = (_key: string, value: unknown) =>
  typeof value === 'number' && !Number.isFinite(value) ? String(value) : value;

/**
 * The state as stored, within MAX_STATE_BYTES: whole if it fits, else
 * without annotations (re-expanded at the next evaluation), else firing
 * alerts first until the cap (a lost pending alert restarts its `for`
 * clock; a lost firing one is re-sent, which the edge deduplicates).
 */
export function encodeState(snapshot: RuleStateSnapshot, now: number): string {
  const encode = (rules: RuleStateSnapshot) =>
    JSON.stringify({ version: 1, writtenAt: now, rules }, NUMBER_AS_TEXT);
  let text = encode(snapshot);
  if (text.length <= MAX_STATE_BYTES) return text;
  const bare: RuleStateSnapshot = {};
  for (const [id, alerts] of Object.entries(snapshot))
    bare[id] = alerts.map(({ annotations: _dropped, ...alert }) => ({ ...alert, annotations: {} }));
  text = encode(bare);
  if (text.length <= MAX_STATE_BYTES) return text;
  const byPriority = Object.entries(bare)
    .flatMap(([id, alerts]) => alerts.map((alert) => ({ id, alert })))
    .sort((a, b) => Number(b.alert.state === 'firing') - Number(a.alert.state === 'firing'));
  const kept: RuleStateSnapshot = {};
  let size = 64;
  for (const { id, alert } of byPriority) {
    const bytes = JSON.stringify(alert, NUMBER_AS_TEXT).length + id.length + 8;
    if (size + bytes > MAX_STATE_BYTES) break;
    size += bytes;
    const list = kept[id] ?? [];
    list.push(alert);
    kept[id] = list;
  }
  return encode(kept);
}

export function decodeState(text: string): RuleStateSnapshot | undefined {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = persistedState.safeParse(json);
  if (!parsed.success) return undefined;
  const out: RuleStateSnapshot = {};
  for (const [id, alerts] of Object.entries(parsed.data.rules))
    out[id] = alerts.map((a) => ({ ...a, annotations: a.annotations ?? {} }));
  return out;
}

interface ConfigMap {
  metadata?: { resourceVersion?: string };
  data?: Record<string, string>;
}

/** The store on the ConfigMap `edgetower-rule-state` in `namespace`. */
export function configMapStateStore(options: {
  client: KubeClient;
  namespace: string;
  log: Logger;
  now?: () => number;
}): RuleStateStore {
  const { client, namespace, log } = options;
  const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/configmaps`;
  let resourceVersion: string | undefined;
  let exists: boolean | undefined;

  const read = async (): Promise<ConfigMap | undefined> => {
    const res = await client.request({ path: `${path}/${RULE_STATE_CONFIGMAP}` });
    if (res.status === 404) {
      await res.text();
      exists = false;
      return undefined;
    }
    if (res.status !== 200) throw await kubeErrorFrom(res, `reading ${RULE_STATE_CONFIGMAP}`);
    const cm = (await res.json()) as ConfigMap;
    exists = true;
    resourceVersion = cm.metadata?.resourceVersion;
    return cm;
  };

  const write = async (text: string): Promise<number> => {
    const body = JSON.stringify({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: RULE_STATE_CONFIGMAP,
        namespace,
        labels: { 'app.kubernetes.io/part-of': 'edgetower' },
        ...(exists && resourceVersion ? { resourceVersion } : {}),
      },
      data: { [DATA_KEY]: text },
    });
    const headers = { 'content-type': 'application/json' };
    const res = exists
      ? await client.request({
          method: 'PUT',
          path: `${path}/${RULE_STATE_CONFIGMAP}`,
          headers,
          body,
        })
      : await client.request({ method: 'POST', path, headers, body });
    if (res.status === 200 || res.status === 201) {
      const cm = (await res.json()) as ConfigMap;
      exists = true;
      resourceVersion = cm.metadata?.resourceVersion;
    } else await res.text();
    return res.status;
  };

  return {
    async load() {
      const cm = await read();
      const text = cm?.data?.[DATA_KEY];
      if (text === undefined) return undefined;
      const state = decodeState(text);
      if (!state) log.warn('ignoring unreadable rule state', { configMap: RULE_STATE_CONFIGMAP });
      return state;
    },
    async save(snapshot) {
      const text = encodeState(snapshot, (options.now ?? Date.now)());
      if (exists === undefined) await read();
      let status = await write(text);
      // Someone else wrote it (a previous leader's last write): this leader's state wins.
      if (status === 409 || status === 404) {
        await read();
        status = await write(text);
      }
      if (status !== 200 && status !== 201)
        throw new Error(`cannot write ${RULE_STATE_CONFIGMAP}: HTTP ${status}`);
    },
  };
}
