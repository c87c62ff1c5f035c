import type { RequestFrame } from '../../../functions/tunnel/protocol';
import type { TestAgent } from './agent-socket';

/** A namespace as the fake cluster holds it. */
export interface FakeNamespace {
  labels: Record<string, string>;
  resourceVersion: string;
}

/** A request the edge sent into the cluster, with its decoded JSON body (if any). */
export interface ClusterCall {
  frame: RequestFrame;
  body: unknown;
}

interface Metadata {
  name?: string;
  labels?: Record<string, string>;
  resourceVersion?: string;
}

const NAMESPACE_PATH = /^\/api\/v1\/namespaces(?:\/([^/?]+))?$/;

/**
 * The namespaces API of a member cluster behind a fake agent: serves the
 * edge's GET/POST/PATCH/DELETE on `/api/v1/namespaces` from a map, and
 * records every call (with its impersonation) so a test sees exactly what
 * reached the cluster. Calls are served only while `during` awaits a request.
 */
export class NamespaceCluster {
  readonly calls: ClusterCall[] = [];
  #version = 100;

  constructor(
    private readonly agent: TestAgent,
    readonly namespaces = new Map<string, FakeNamespace>(),
  ) {}

  /** Adds a namespace as if someone had created it in the cluster directly. */
  add(name: string, labels: Record<string, string> = {}): void {
    this.namespaces.set(name, { labels, resourceVersion: String(++this.#version) });
  }

  /** Serves the cluster until `work` (an edge request) settles, and returns its result. */
  async during<T>(work: Promise<T>): Promise<T> {
    let settled = false;
    const watched = work.finally(() => {
      settled = true;
    });
    const open = new Map<number, { frame: RequestFrame; text: string }>();
    while (!settled) {
      let frame: Awaited<ReturnType<TestAgent['next']>>;
      try {
        frame = await this.agent.next(50);
      } catch {
        continue; // nothing from the edge yet; check whether the request finished
      }
      if (frame.type === 'request') {
        if (frame.body) open.set(frame.id, { frame, text: '' });
        else await this.#serve(frame, undefined);
      } else if (frame.type === 'data' && open.has(frame.id)) {
        open.get(frame.id)!.text += new TextDecoder().decode(frame.payload);
      } else if (frame.type === 'end' && open.has(frame.id)) {
        const { frame: request, text } = open.get(frame.id)!;
        open.delete(frame.id);
        await this.#serve(request, text ? JSON.parse(text) : undefined);
      }
    }
    return watched;
  }

  async #serve(frame: RequestFrame, body: unknown): Promise<void> {
    this.calls.push({ frame, body });
    const match = NAMESPACE_PATH.exec(frame.path);
    if (!match) return this.#answer(frame.id, 404, { kind: 'Status', code: 404 });
    const name = match[1];
    const meta = (body as { metadata?: Metadata } | undefined)?.metadata ?? {};
    const existing = name ? this.namespaces.get(name) : undefined;
    const view = (n: string, ns: FakeNamespace) => ({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: n, labels: ns.labels, resourceVersion: ns.resourceVersion },
    });
    switch (frame.method) {
      case 'GET':
        if (!name || !existing) return this.#answer(frame.id, 404, { kind: 'Status', code: 404 });
        return this.#answer(frame.id, 200, view(name, existing));
      case 'POST': {
        const created = meta.name ?? '';
        if (this.namespaces.has(created))
          return this.#answer(frame.id, 409, { kind: 'Status', code: 409 });
        this.add(created, meta.labels ?? {});
        return this.#answer(frame.id, 201, view(created, this.namespaces.get(created)!));
      }
      case 'PATCH': {
        if (!name || !existing) return this.#answer(frame.id, 404, { kind: 'Status', code: 404 });
        if (meta.resourceVersion !== undefined && meta.resourceVersion !== existing.resourceVersion)
          return this.#answer(frame.id, 409, { kind: 'Status', code: 409 });
        existing.labels = { ...existing.labels, ...meta.labels };
        existing.resourceVersion = String(++this.#version);
        return this.#answer(frame.id, 200, view(name, existing));
      }
      case 'DELETE':
        if (!name || !existing) return this.#answer(frame.id, 404, { kind: 'Status', code: 404 });
        this.namespaces.delete(name);
        return this.#answer(frame.id, 200, { kind: 'Status', code: 200 });
      default:
        return this.#answer(frame.id, 405, { kind: 'Status', code: 405 });
    }
  }

  async #answer(id: number, status: number, body: unknown): Promise<void> {
    await this.agent.send({
      type: 'response',
      id,
      status,
      headers: [['content-type', 'application/json']],
    });
    await this.agent.sendData(id, JSON.stringify(body));
    await this.agent.send({ type: 'end', id });
  }

  /** Calls that changed the cluster (anything but reads). */
  writes(): ClusterCall[] {
    return this.calls.filter((c) => c.frame.method !== 'GET' && c.frame.method !== 'HEAD');
  }
}
