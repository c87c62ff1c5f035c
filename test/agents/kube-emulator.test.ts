import { afterEach, describe, expect, it, vi } from 'vitest';
import { type KubeEmulator, startKubeEmulator } from '../support/kube-emulator';
import { watchEvents } from './support';

let emu: KubeEmulator;
afterEach(async () => {
  await emu?.close();
});

const get = (path: string, headers: Record<string, string> = {}) =>
  fetch(`${emu.url}${path}`, { headers: { authorization: `Bearer ${emu.token}`, ...headers } });

type List = {
  metadata: { resourceVersion: string; continue?: string; remainingItemCount?: number };
  items: { metadata: { name: string; namespace?: string; resourceVersion: string } }[];
};

describe('kube emulator', () => {
  it('refuses requests without a valid bearer token with a 401 Status', async () => {
    emu = await startKubeEmulator({ cluster: { pods: 5 } });
    const anonymous = await fetch(`${emu.url}/api/v1/pods`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({
      kind: 'Status',
      reason: 'Unauthorized',
      code: 401,
    });
    const wrong = await fetch(`${emu.url}/version`, { headers: { authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(401);
    const version = await get('/version');
    expect(await version.json()).toMatchObject({ gitVersion: 'v1.30.2', platform: 'linux/amd64' });
  });

  it('pages lists with limit/continue in a stable order and one resourceVersion', async () => {
    emu = await startKubeEmulator({ cluster: { nodes: 4, namespaces: 3, pods: 23 } });
    const names: string[] = [];
    let cont = '';
    let rv = '';
    let pages = 0;
    do {
      const res = await get(
        `/api/v1/pods?limit=10${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`,
      );
      const page = (await res.json()) as List;
      rv ||= page.metadata.resourceVersion;
      expect(page.metadata.resourceVersion).toBe(rv);
      names.push(...page.items.map((p) => `${p.metadata.namespace}/${p.metadata.name}`));
      cont = page.metadata.continue ?? '';
      pages++;
    } while (cont);
    expect(pages).toBe(3);
    expect(names).toHaveLength(23);
    expect(new Set(names).size).toBe(23);
    expect([...names].sort()).toEqual(names);
    // A namespaced list only holds that namespace.
    const nsList = (await (await get('/api/v1/namespaces/ns-0001/pods')).json()) as List;
    expect(nsList.items.length).toBeGreaterThan(0);
    expect(nsList.items.every((p) => p.metadata.namespace === 'ns-0001')).toBe(true);
  });

  it('answers an expired continue token with 410 Expired', async () => {
    emu = await startKubeEmulator({ cluster: { pods: 30 } });
    const first = (await (await get('/api/v1/pods?limit=5')).json()) as List;
    expect(first.metadata.continue).toBeTruthy();
    emu.expireContinueTokens();
    const res = await get(`/api/v1/pods?limit=5&continue=${first.metadata.continue}`);
    expect(res.status).toBe(410);
    expect(await res.json()).toMatchObject({ kind: 'Status', reason: 'Expired', code: 410 });
    // Compaction expires tokens too.
    const second = (await (await get('/api/v1/pods?limit=5')).json()) as List;
    emu.store.upsert('configmaps', { metadata: { name: 'x', namespace: 'default' } });
    emu.store.compact();
    expect((await get(`/api/v1/pods?limit=5&continue=${second.metadata.continue}`)).status).toBe(
      410,
    );
  });

  it('expires continue tokens after their TTL', async () => {
    emu = await startKubeEmulator({ cluster: { pods: 30 }, continueTtlMs: 60_000 });
    // Only Date is faked: the HTTP server's own timers keep running.
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      const first = (await (await get('/api/v1/pods?limit=5')).json()) as List;
      expect((await get(`/api/v1/pods?limit=5&continue=${first.metadata.continue}`)).status).toBe(
        200,
      );
      vi.setSystemTime(Date.now() + 61_000);
      expect((await get(`/api/v1/pods?limit=5&continue=${first.metadata.continue}`)).status).toBe(
        410,
      );
    } finally {
      vi.useRealTimers();
    }
  });

  it('streams watch events from a resourceVersion, with bookmarks, and ends at timeoutSeconds', async () => {
    emu = await startKubeEmulator({ cluster: { pods: 3 }, bookmarkIntervalMs: 50 });
    const list = (await (await get('/api/v1/namespaces')).json()) as List;
    const res = await get(
      `/api/v1/namespaces?watch=1&resourceVersion=${list.metadata.resourceVersion}&allowWatchBookmarks=true&timeoutSeconds=2`,
    );
    expect(res.status).toBe(200);
    const events = watchEvents(res);
    emu.store.create('namespaces', {
      metadata: { name: 'fresh', labels: { 'kubesphere.io/workspace': 'ws-9' } },
    });
    const seen: string[] = [];
    for await (const event of events) {
      const meta = event.object.metadata as { name?: string; resourceVersion: string };
      seen.push(event.type === 'BOOKMARK' ? 'BOOKMARK' : `${event.type} ${meta.name}`);
      if (seen.includes('BOOKMARK') && seen.length >= 3) break;
      if (seen.length === 1) emu.store.delete('namespaces', undefined, 'fresh');
    }
    expect(seen.slice(0, 2)).toEqual(['ADDED fresh', 'DELETED fresh']);
    expect(seen).toContain('BOOKMARK');
  });

  it('replays events missed since the resourceVersion and sends 410 as an ERROR event once compacted', async () => {
    emu = await startKubeEmulator({ cluster: { pods: 3 }, eventWindow: 5 });
    const rv = emu.store.resourceVersion;
    emu.store.create('configmaps', { metadata: { name: 'a', namespace: 'default' } });
    const replay = await get(`/api/v1/configmaps?watch=1&resourceVersion=${rv}&timeoutSeconds=1`);
    const first = await watchEvents(replay).next();
    expect(first.value).toMatchObject({ type: 'ADDED', object: { metadata: { name: 'a' } } });
    for (let i = 0; i < 6; i++)
      emu.store.create('configmaps', { metadata: { name: `b${i}`, namespace: 'default' } });
    const stale = await get(`/api/v1/configmaps?watch=1&resourceVersion=${rv}`);
    const events: unknown[] = [];
    for await (const event of watchEvents(stale)) events.push(event);
    expect(events).toEqual([
      {
        type: 'ERROR',
        object: expect.objectContaining({ kind: 'Status', code: 410, reason: 'Expired' }),
      },
    ]);
  });

  it('records impersonation headers and applies the per-user table to impersonated requests', async () => {
    emu = await startKubeEmulator({
      cluster: { pods: 3 },
      rbac: {
        users: {
          alice: [{ verbs: ['list', 'get'], resources: ['pods'], namespaces: ['ns-0000'] }],
        },
        groups: { admins: [{ verbs: ['*'], resources: ['*'] }] },
      },
    });
    const asAlice = { 'impersonate-user': 'alice', 'impersonate-group': 'devs' };
    expect((await get('/api/v1/namespaces/ns-0000/pods', asAlice)).status).toBe(200);
    const denied = await get('/api/v1/namespaces/ns-0001/pods', asAlice);
    expect(denied.status).toBe(403);
    expect(await denied.json()).toMatchObject({
      reason: 'Forbidden',
      message: expect.stringContaining('User "alice" cannot list resource "pods"'),
    });
    expect(
      (await get('/api/v1/nodes', { 'impersonate-user': 'bob', 'impersonate-group': 'admins' }))
        .status,
    ).toBe(200);
    expect((await get('/api/v1/nodes')).status).toBe(200); // the agent's own identity is not impersonated
    const recorded = emu.requests.filter((r) => r.impersonateUser === 'alice');
    expect(recorded.map((r) => [r.verb, r.namespace, r.impersonateGroups, r.status])).toEqual([
      ['list', 'ns-0000', ['devs'], 200],
      ['list', 'ns-0001', ['devs'], 403],
    ]);
    expect(recorded[0]?.user).toBe('system:serviceaccount:edgetower-system:edgetower-agent');
  });

  it('creates leases with optimistic concurrency (409 on a stale resourceVersion)', async () => {
    emu = await startKubeEmulator();
    emu.store.create('namespaces', { metadata: { name: 'edgetower-system' } });
    const url = `${emu.url}/apis/coordination.k8s.io/v1/namespaces/edgetower-system/leases`;
    const headers = { authorization: `Bearer ${emu.token}`, 'content-type': 'application/json' };
    const lease = { metadata: { name: 'agent' }, spec: { holderIdentity: 'a' } };
    const created = await fetch(url, { method: 'POST', headers, body: JSON.stringify(lease) });
    expect(created.status).toBe(201);
    const body = (await created.json()) as { metadata: { resourceVersion: string } };
    expect(
      (await fetch(url, { method: 'POST', headers, body: JSON.stringify(lease) })).status,
    ).toBe(409);
    const update = (holder: string, rv: string) =>
      fetch(`${url}/agent`, {
        method: 'PUT',
        headers,
        body: JSON.stringify({
          metadata: { name: 'agent', resourceVersion: rv },
          spec: { holderIdentity: holder },
        }),
      });
    expect((await update('b', body.metadata.resourceVersion)).status).toBe(200);
    const conflict = await update('c', body.metadata.resourceVersion);
    expect(conflict.status).toBe(409);
    expect(await conflict.json()).toMatchObject({ reason: 'Conflict' });
    expect(emu.store.get('leases', 'edgetower-system', 'agent')?.spec).toEqual({
      holderIdentity: 'b',
    });
  });

  it('creates and deletes namespaces, gets secrets, and rejects bad bodies', async () => {
    emu = await startKubeEmulator({ cluster: { pods: 4 } });
    const headers = { authorization: `Bearer ${emu.token}`, 'content-type': 'application/json' };
    const bad = await fetch(`${emu.url}/api/v1/namespaces`, {
      method: 'POST',
      headers,
      body: '{not json',
    });
    expect(bad.status).toBe(400);
    const created = await fetch(`${emu.url}/api/v1/namespaces`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        metadata: { name: 'proj', labels: { 'kubesphere.io/workspace': 'w' } },
      }),
    });
    expect(created.status).toBe(201);
    emu.store.create('secrets', {
      metadata: { name: 'tok', namespace: 'proj' },
      data: { token: 'dA==' },
    });
    expect(await (await get('/api/v1/namespaces/proj/secrets/tok')).json()).toMatchObject({
      data: { token: 'dA==' },
    });
    expect((await get('/api/v1/namespaces/proj/secrets/missing')).status).toBe(404);
    expect(
      (await fetch(`${emu.url}/api/v1/namespaces/proj`, { method: 'DELETE', headers })).status,
    ).toBe(200);
    expect(emu.store.get('secrets', 'proj', 'tok')).toBeUndefined();
    const orphan = await fetch(`${emu.url}/api/v1/namespaces/proj/configmaps`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ metadata: { name: 'c' } }),
    });
    expect(orphan.status).toBe(404);
  });

  it('serves metrics.k8s.io with settable usage and streams pod logs with follow', async () => {
    emu = await startKubeEmulator({ cluster: { nodes: 2, pods: 6 } });
    const pod = emu.store
      .list('pods')
      .find((p) => (p.status as { phase: string }).phase === 'Running');
    if (!pod) throw new Error('no running pod');
    const { namespace, name } = pod.metadata as { namespace: string; name: string };
    emu.store.setPodUsage(namespace, name, { cpu: '250m', memory: '128Mi' });
    const metrics = (await (
      await get(`/apis/metrics.k8s.io/v1beta1/namespaces/${namespace}/pods/${name}`)
    ).json()) as { containers: { usage: { cpu: string; memory: string } }[] };
    const cpuNanos = metrics.containers.reduce(
      (sum, c) => sum + Number.parseInt(c.usage.cpu, 10),
      0,
    );
    expect(cpuNanos).toBe(250_000_000);
    const nodes = (await (await get('/apis/metrics.k8s.io/v1beta1/nodes')).json()) as {
      items: unknown[];
    };
    expect(nodes.items).toHaveLength(2);

    const res = await get(`/api/v1/namespaces/${namespace}/pods/${name}/log?follow=true`);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    let text = new TextDecoder().decode((await reader.read()).value);
    emu.store.appendPodLog(namespace, name, 'second line');
    while (!text.includes('second line'))
      text += new TextDecoder().decode((await reader.read()).value);
    emu.store.delete('pods', namespace, name);
    expect((await reader.read()).done).toBe(true);
  });
});
