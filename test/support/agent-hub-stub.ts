import type { DegradedResource, InventoryUpdate } from '../../functions/tunnel/inventory';
import { encodeControl } from '../../functions/tunnel/protocol';
import { startFakeEdge } from './fake-edge';

/**
 * A stand-in for the edge that only does what an agent benchmark needs:
 * accepts the tunnel WebSocket with the expected token, negotiates, answers
 * heartbeats, records inventory updates (with arrival time and size) and
 * acknowledges them. No proxying.
 */
export interface ReceivedInventory {
  update: InventoryUpdate;
  bytes: number;
  at: number;
}

/** A spooled batch as the stub saw it (metering: its window end and pod count). */
export interface ReceivedBatch {
  kind: string;
  bytes: number;
  at: number;
  windowEnd?: number;
  pods: number;
}

export interface HubStub {
  url: string;
  received: ReceivedInventory[];
  /** Spooled batches (metering, alerts) received and acked. */
  batches: ReceivedBatch[];
  connections: number;
  /** Every `agent-status` frame's degraded list, newest last. */
  statuses: DegradedResource[][];
  close(): Promise<void>;
}

export async function startHubStub(token: string): Promise<HubStub> {
  const stub: HubStub = {
    url: '',
    received: [],
    batches: [],
    connections: 0,
    statuses: [],
    close: async () => {},
  };
  const edge = await startFakeEdge({
    token,
    cluster: 'bench',
    onConnection() {
      stub.connections++;
    },
    onFrame(ws, frame, text) {
      if (frame.type === 'agent-status') stub.statuses.push(frame.degraded);
      if (frame.type === 'inventory') {
        stub.received.push({ update: frame.update, bytes: text?.length ?? 0, at: Date.now() });
        ws.send(encodeControl({ type: 'ack', seq: frame.update.seq }));
      } else if (frame.type === 'batch') {
        // Spooled batches (metering) are acked as the edge would, so the agent does not hoard them.
        const payload = frame.payload as { windowEnd?: unknown; pods?: unknown[] } | null;
        stub.batches.push({
          kind: frame.kind,
          bytes: text?.length ?? 0,
          at: Date.now(),
          windowEnd: typeof payload?.windowEnd === 'number' ? payload.windowEnd : undefined,
          pods: Array.isArray(payload?.pods) ? payload.pods.length : 0,
        });
        ws.send(encodeControl({ type: 'batch-ack', seq: frame.seq, kind: frame.kind }));
      }
    },
  });
  stub.url = edge.url;
  stub.close = edge.close;
  return stub;
}
