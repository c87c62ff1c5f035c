/**
 * The tunnel wire format, shared by the edge (ClusterTunnel) and the agent
 * (agents/tunnel.ts). Control frames are JSON text messages; body bytes
 * travel in binary DATA frames so they are never base64-inflated. See
 * docs/tunnel-protocol.md.
 *
 * No Node or Workers imports: both runtimes load this module.
 */
import { z } from 'zod';
import {
  type DeliveryApplyFrame,
  type DeliveryDeleteFrame,
  type DeliveryStateFrame,
  type DeliveryStatusFrame,
  deliveryApplyFrame,
  deliveryDeleteFrame,
  deliveryStateFrame,
  deliveryStatusFrame,
} from './delivery';
import { type InventoryUpdate, MAX_DEGRADED_REASON, MAX_DEGRADED_RESOURCES } from './inventory';
import {
  type RoleProjectionFrame,
  type RoleProjectionStatusFrame,
  roleProjectionFrame,
  roleProjectionStatusFrame,
} from './projection';
import {
  type QuotasFrame,
  type QuotaUsageFrame,
  quotasFrame,
  quotaUsageFrame,
} from './quota-frames';
import {
  type RulesHealthFrame,
  type RulesSyncFrame,
  rulesHealthFrame,
  rulesSyncFrame,
} from './rules';

/** The protocol version this build speaks best; the edge picks the highest both sides know. */
export const PROTOCOL_VERSION = 1;
export const SUPPORTED_VERSIONS: readonly number[] = [1];

/** Upper bound for any single WebSocket message, either direction. */
export const MAX_FRAME_BYTES = 16 * 1024 * 1024;
/** Body bytes per DATA frame; larger bodies are split. */
export const MAX_CHUNK_BYTES = 256 * 1024;
/** Bytes a receiver lets the sender have in flight per stream before a WINDOW update. */
export const DEFAULT_STREAM_WINDOW = 1024 * 1024;

/**
 * Heartbeats are exact strings so the edge can answer them with the
 * Durable Object auto-response, without waking the object.
 */
export const HEARTBEAT_REQUEST = '{"type":"ping"}';
export const HEARTBEAT_RESPONSE = '{"type":"pong"}';

/** WebSocket close codes the edge uses (4000-4999 are application codes). */
export const CloseCodes = {
  heartbeatTimeout: 4000,
  tokenRevoked: 4001,
  clusterDeleted: 4002,
  unsupportedVersion: 4003,
  protocolError: 4004,
} as const;

/** Where the agent sends a proxied request. */
export const proxyTargets = ['kube', 'prometheus'] as const;
export type ProxyTarget = (typeof proxyTargets)[number];

export const errorCodes = [
  'malformed',
  'unknown_type',
  'too_large',
  'unsupported_version',
  'not_negotiated',
  'unknown_stream',
  'bad_target',
  'upstream_unreachable',
  'internal',
] as const;
export type ErrorCode = (typeof errorCodes)[number];

const streamId = z.number().int().min(1).max(0xffffffff);
const headerList = z.array(z.tuple([z.string().max(256), z.string().max(16 * 1024)])).max(256);

const hello = z.object({
  type: z.literal('hello'),
  versions: z.array(z.number().int().positive()).min(1).max(16),
  agentId: z.string().min(1).max(253),
  agentVersion: z.string().max(64),
});

const welcome = z.object({
  type: z.literal('welcome'),
  version: z.number().int().positive(),
  cluster: z.string(),
  /** How often the agent should send HEARTBEAT_REQUEST. */
  heartbeatSeconds: z.number().positive(),
  /** After this much silence either side may consider the other gone. */
  livenessSeconds: z.number().positive(),
  maxFrameBytes: z.number().int().positive(),
});

const impersonation = z.object({
  user: z.string().min(1).max(256),
  groups: z.array(z.string().min(1).max(256)).max(64),
});

const request = z.object({
  type: z.literal('request'),
  id: streamId,
  target: z.enum(proxyTargets),
  method: z.enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']),
  /** Path and query, starting with '/'. */
  path: z
    .string()
    .startsWith('/')
    .max(8 * 1024),
  headers: headerList,
  /** Absent for requests the edge makes on its own behalf (none today). */
  impersonate: impersonation.optional(),
  /** DATA frames then END follow when true. */
  body: z.boolean(),
  /** Initial flow-control credit (bytes) for the response body. */
  window: z.number().int().positive().max(MAX_FRAME_BYTES),
});

const response = z.object({
  type: z.literal('response'),
  id: streamId,
  status: z.number().int().min(100).max(599),
  headers: headerList,
});

const end = z.object({ type: z.literal('end'), id: streamId });
const cancel = z.object({
  type: z.literal('cancel'),
  id: streamId,
  reason: z.string().max(1024).optional(),
});
const windowUpdate = z.object({
  type: z.literal('window'),
  id: streamId,
  bytes: z.number().int().positive().max(MAX_FRAME_BYTES),
});
const error = z.object({
  type: z.literal('error'),
  /** Set when the error ends one stream; absent for connection-level errors. */
  id: streamId.optional(),
  code: z.string().max(64),
  message: z.string().max(4096),
});
const ping = z.object({ type: z.literal('ping') });
const pong = z.object({ type: z.literal('pong') });

// Inventory payloads are checked for shape at the edges of each record; the
// agent is authenticated, so this guards against bugs, not adversaries.
// The edge's inventory routes reuse these to describe their responses.
const resources = z.object({
  cpu: z.string().optional(),
  memory: z.string().optional(),
  pods: z.string().optional(),
});
/** One node as the agent reports it. */
export const nodeSummary = z.object({
  name: z.string().min(1).max(253),
  ready: z.boolean(),
  edge: z.boolean(),
  roles: z.array(z.string()),
  kubeletVersion: z.string(),
  capacity: resources,
  allocatable: resources,
  addresses: z.array(z.object({ type: z.string(), address: z.string() })),
  unschedulable: z.boolean(),
  lastTransition: z.string().optional(),
});
/** One namespace with its workload counts, as the agent reports it. */
export const namespaceSummary = z.object({
  name: z.string().min(1).max(253),
  workspace: z.string().optional(),
  phase: z.string(),
  workloads: z.object({
    deployments: z.number(),
    statefulsets: z.number(),
    daemonsets: z.number(),
    jobs: z.number(),
    cronjobs: z.number(),
    pods: z.number(),
  }),
});
/** One Warning event, as the agent reports it. */
export const eventSummary = z.object({
  key: z.string().min(1).max(512),
  namespace: z.string(),
  reason: z.string(),
  message: z.string(),
  involvedObject: z.object({
    kind: z.string(),
    name: z.string(),
    namespace: z.string().optional(),
  }),
  count: z.number(),
  lastTimestamp: z.string().optional(),
});
const clusterInfo = z.object({ kubernetesVersion: z.string(), platform: z.string() });
const changes = <T extends z.ZodType>(item: T) =>
  z.object({ upserts: z.array(item), deletes: z.array(z.string()) });
const seq = z.number().int().nonnegative();

const inventoryUpdate = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('snapshot'),
    seq,
    cluster: clusterInfo,
    nodes: z.array(nodeSummary),
    namespaces: z.array(namespaceSummary),
    events: z.array(eventSummary),
  }),
  z.object({
    type: z.literal('delta'),
    seq,
    cluster: clusterInfo.optional(),
    nodes: changes(nodeSummary).optional(),
    namespaces: changes(namespaceSummary).optional(),
    events: changes(eventSummary).optional(),
  }),
]);

const inventory = z.object({ type: z.literal('inventory'), update: inventoryUpdate });
/** The edge stored the inventory update with this seq. */
const ack = z.object({ type: z.literal('ack'), seq });
/** The edge lost track (gap in seq, another replica took over): send a snapshot. */
const resync = z.object({ type: z.literal('resync'), reason: z.string().max(1024) });

/** Kinds of spooled batch the edge knows; an unknown kind is acked as rejected, not looped on. */
export const batchKinds = ['metering', 'alerts'] as const;
export type BatchKind = (typeof batchKinds)[number];
const batchSeq = z.number().int().positive();
const batchKind = z.string().min(1).max(64);
/**
 * One durable batch from the agent's spool. The payload is validated per
 * kind by the edge (a bad payload must be answered, not dropped as a
 * malformed frame, or the agent would resend it forever).
 */
const batch = z.object({
  type: z.literal('batch'),
  seq: batchSeq,
  kind: batchKind,
  createdAt: z.string().max(64),
  /** The replica that spooled it (a renamed pod replays its old batches under their old id). */
  agentId: z.string().min(1).max(253).optional(),
  payload: z.unknown(),
});
/** The edge is done with batch `seq`: committed, or (with `rejected`) refused for good. */
const batchAck = z.object({
  type: z.literal('batch-ack'),
  seq: batchSeq,
  kind: batchKind,
  rejected: z.string().max(1024).optional(),
});

/** One resource an agent cannot read, and why. */
export const degradedResource = z.object({
  resource: z.string().min(1).max(253),
  reason: z.string().max(MAX_DEGRADED_REASON),
});
/**
 * What this replica cannot read right now (it replaces the replica's previous
 * list; empty: everything reads). Sent on connect and on every change, also
 * before any inventory exists (API server unreachable at start-up).
 */
const agentStatus = z.object({
  type: z.literal('agent-status'),
  degraded: z.array(degradedResource).max(MAX_DEGRADED_RESOURCES),
});

const controlFrame = z.discriminatedUnion('type', [
  hello,
  welcome,
  request,
  response,
  end,
  cancel,
  windowUpdate,
  error,
  ping,
  pong,
  inventory,
  ack,
  resync,
  batch,
  batchAck,
  quotasFrame,
  quotaUsageFrame,
  agentStatus,
  roleProjectionFrame,
  roleProjectionStatusFrame,
  deliveryApplyFrame,
  deliveryDeleteFrame,
  deliveryStatusFrame,
  deliveryStateFrame,
  rulesSyncFrame,
  rulesHealthFrame,
]);

export type HelloFrame = z.infer<typeof hello>;
export type WelcomeFrame = z.infer<typeof welcome>;
export type Impersonation = z.infer<typeof impersonation>;
export type RequestFrame = z.infer<typeof request>;
export type ResponseFrame = z.infer<typeof response>;
export type EndFrame = z.infer<typeof end>;
export type CancelFrame = z.infer<typeof cancel>;
export type WindowFrame = z.infer<typeof windowUpdate>;
export type ErrorFrame = z.infer<typeof error>;
export type InventoryFrame = { type: 'inventory'; update: InventoryUpdate };
export type AckFrame = z.infer<typeof ack>;
export type ResyncFrame = z.infer<typeof resync>;
export type BatchFrame = z.infer<typeof batch>;
export type BatchAckFrame = z.infer<typeof batchAck>;
export type AgentStatusFrame = z.infer<typeof agentStatus>;
export type ControlFrame =
  | HelloFrame
  | WelcomeFrame
  | RequestFrame
  | ResponseFrame
  | EndFrame
  | CancelFrame
  | WindowFrame
  | ErrorFrame
  | { type: 'ping' }
  | { type: 'pong' }
  | InventoryFrame
  | AckFrame
  | ResyncFrame
  | BatchFrame
  | BatchAckFrame
  | QuotasFrame
  | QuotaUsageFrame
  | AgentStatusFrame
  | RoleProjectionFrame
  | RoleProjectionStatusFrame
  | DeliveryApplyFrame
  | DeliveryDeleteFrame
  | DeliveryStatusFrame
  | DeliveryStateFrame
  | RulesSyncFrame
  | RulesHealthFrame;

/** Body bytes of one stream. */
export interface DataFrame {
  type: 'data';
  id: number;
  payload: Uint8Array;
}

export type Frame = ControlFrame | DataFrame;

// The zod inference of the inventory must stay assignable to the shared types.
type Assignable<A, _B extends A> = true;
export type _InventoryShapeCheck = Assignable<InventoryUpdate, z.infer<typeof inventoryUpdate>>;

/** First byte of a binary message: its kind. Only DATA exists in version 1. */
const BINARY_DATA = 1;
const DATA_HEADER_BYTES = 5;

export type DecodeResult =
  | { ok: true; frame: Frame }
  | { ok: false; code: ErrorCode; message: string; id?: number };

/** Encodes a control frame as a JSON text message. */
export function encodeControl(frame: ControlFrame): string {
  return JSON.stringify(frame);
}

/** Encodes body bytes of stream `id` as a binary message: [1][u32 id][payload]. */
export function encodeData(id: number, payload: Uint8Array): Uint8Array {
  return encodeDataParts(id, [payload]);
}

/** Like encodeData, for a payload made of several pieces (one copy into the frame). */
export function encodeDataParts(id: number, parts: readonly Uint8Array[]): Uint8Array {
  let length = DATA_HEADER_BYTES;
  for (const part of parts) length += part.byteLength;
  const out = new Uint8Array(length);
  out[0] = BINARY_DATA;
  new DataView(out.buffer).setUint32(1, id);
  let offset = DATA_HEADER_BYTES;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}

function byteLengthOf(message: string | ArrayBuffer | ArrayBufferView): number {
  if (typeof message === 'string') return message.length; // lower bound of UTF-8 bytes
  return message.byteLength;
}

function decodeBinary(bytes: Uint8Array): DecodeResult {
  if (bytes.byteLength < DATA_HEADER_BYTES)
    return { ok: false, code: 'malformed', message: 'binary frame shorter than its header' };
  if (bytes[0] !== BINARY_DATA)
    return { ok: false, code: 'unknown_type', message: `unknown binary frame kind ${bytes[0]}` };
  const id = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(1);
  if (id === 0) return { ok: false, code: 'malformed', message: 'stream id 0 is reserved' };
  return { ok: true, frame: { type: 'data', id, payload: bytes.subarray(DATA_HEADER_BYTES) } };
}

const knownTypes = new Set<string>([
  'hello',
  'welcome',
  'request',
  'response',
  'end',
  'cancel',
  'window',
  'error',
  'ping',
  'pong',
  'inventory',
  'ack',
  'resync',
  'batch',
  'batch-ack',
  'quotas',
  'quota-usage',
  'agent-status',
  'role-projection',
  'role-projection-status',
  'delivery-apply',
  'delivery-delete',
  'delivery-status',
  'delivery-state',
  'rules-sync',
  'rules-health',
] satisfies ControlFrame['type'][]);

function decodeText(text: string): DecodeResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { ok: false, code: 'malformed', message: 'text frame is not JSON' };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    return { ok: false, code: 'malformed', message: 'frame is not a JSON object' };
  const type = (parsed as { type?: unknown }).type;
  const rawId = (parsed as { id?: unknown }).id;
  const id = typeof rawId === 'number' && Number.isInteger(rawId) && rawId > 0 ? rawId : undefined;
  if (typeof type !== 'string')
    return { ok: false, code: 'malformed', message: 'frame has no string "type"', id };
  if (!knownTypes.has(type))
    return {
      ok: false,
      code: 'unknown_type',
      message: `unknown frame type "${type.slice(0, 64)}"`,
      id,
    };
  const result = controlFrame.safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue?.path.join('.') || '(frame)';
    return {
      ok: false,
      code: 'malformed',
      message: `invalid ${type} frame: ${where}: ${issue?.message ?? 'invalid'}`,
      id,
    };
  }
  return { ok: true, frame: result.data as ControlFrame };
}

/**
 * Decodes one WebSocket message. Never throws: anything unexpected comes back
 * as `{ok: false}` with an error code the receiver sends back in an ERROR frame.
 */
export function decodeFrame(message: string | ArrayBuffer | ArrayBufferView): DecodeResult {
  if (byteLengthOf(message) > MAX_FRAME_BYTES)
    return { ok: false, code: 'too_large', message: `frame exceeds ${MAX_FRAME_BYTES} bytes` };
  if (typeof message === 'string') return decodeText(message);
  const bytes =
    message instanceof ArrayBuffer
      ? new Uint8Array(message)
      : new Uint8Array(message.buffer, message.byteOffset, message.byteLength);
  return decodeBinary(bytes);
}

/** The highest version both sides support, or undefined when they share none. */
export function negotiateVersion(offered: readonly number[]): number | undefined {
  const common = offered.filter((v) => SUPPORTED_VERSIONS.includes(v));
  return common.length ? Math.max(...common) : undefined;
}

/** Splits body bytes into DATA-sized pieces (views, no copies). */
export function* chunks(bytes: Uint8Array, size = MAX_CHUNK_BYTES): Generator<Uint8Array> {
  for (let offset = 0; offset < bytes.byteLength; offset += size)
    yield bytes.subarray(offset, Math.min(offset + size, bytes.byteLength));
}

/** Request headers the edge never forwards: hop-by-hop, and credentials of the caller. */
export const strippedRequestHeaders = new Set([
  'authorization',
  'cookie',
  'host',
  'connection',
  'keep-alive',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'content-length',
  'x-forwarded-for',
  'x-real-ip',
  'cf-connecting-ip',
]);

/** Whether a request header must be dropped before it reaches the cluster. */
export function isStrippedRequestHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return (
    strippedRequestHeaders.has(lower) ||
    lower.startsWith('impersonate-') ||
    lower.startsWith('cf-') ||
    lower.startsWith('x-edgetower-')
  );
}

/** Response headers not copied back to the caller (hop-by-hop, or wrong once re-chunked). */
export const strippedResponseHeaders = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'content-length',
  'upgrade',
  'trailer',
]);
