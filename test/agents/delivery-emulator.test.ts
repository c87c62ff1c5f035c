import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type KubeEmulator, startKubeEmulator } from '../support/kube-emulator';
import { waitFor } from './support';

/** The emulator's server-side apply and workload controllers, which the delivery tests rely on. */

interface Answer {
  message?: string;
  metadata: {
    generation?: number;
    resourceVersion?: string;
    labels?: Record<string, string>;
    managedFields: { manager: string; fieldsV1: Record<string, unknown> }[];
  };
  spec: { replicas?: number };
}
/** A nested field of a JSON value. */
const at = (value: unknown, ...keys: string[]): unknown =>
  keys.reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], value);

let emu: KubeEmulator;
const path = '/apis/apps/v1/namespaces/shop/deployments/web';

async function call(method: string, url: string, body?: unknown, contentType = 'application/json') {
  const res = await fetch(`${emu.url}${url}`, {
    method,
    headers: { authorization: `Bearer ${emu.token}`, 'content-type': contentType },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as Answer };
}
const apply = (body: unknown, manager = 'edgetower', force = false) =>
  call(
    'PATCH',
    `${path}?fieldManager=${manager}${force ? '&force=true' : ''}`,
    body,
    'application/apply-patch+yaml',
  );

const deployment = (spec: Record<string, unknown>) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', labels: { app: 'web' } },
  spec: {
    selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] },
    },
    ...spec,
  },
});

beforeEach(async () => {
  emu = await startKubeEmulator({ workloads: { readyDelayMs: 30, failDelayMs: 80 } });
  emu.store.create('namespaces', { metadata: { name: 'shop' } });
});
afterEach(async () => {
  await emu.close();
});

describe('server-side apply', () => {
  it('creates, records the manager and its fields, and bumps generation on spec changes only', async () => {
    emu.workloads?.pause(); // no status writes in between
    const created = await apply(deployment({ replicas: 2 }));
    expect(created.status).toBe(201);
    expect(created.body.metadata.generation).toBe(1);
    const [entry] = created.body.metadata.managedFields;
    expect(entry).toMatchObject({
      manager: 'edgetower',
      operation: 'Apply',
      fieldsType: 'FieldsV1',
    });
    expect(at(entry?.fieldsV1, 'f:spec', 'f:replicas')).toEqual({});
    expect(
      at(
        entry?.fieldsV1,
        'f:spec',
        'f:template',
        'f:spec',
        'f:containers',
        'k:{"name":"web"}',
        'f:image',
      ),
    ).toEqual({});
    // Same configuration again: nothing written.
    const again = await apply(deployment({ replicas: 2 }));
    expect(again.body.metadata.resourceVersion).toBe(created.body.metadata.resourceVersion);
    const scaled = await apply(deployment({ replicas: 3 }));
    expect(scaled.body.metadata.generation).toBe(2);
  });

  it('refuses a conflicting apply without force (409) and takes the field over with force', async () => {
    await apply(deployment({ replicas: 2 }));
    // Someone else scales with an ordinary patch: they own spec.replicas now.
    const patched = await call(
      'PATCH',
      `${path}?fieldManager=kubectl-scale`,
      { spec: { replicas: 5 } },
      'application/merge-patch+json',
    );
    expect(patched.status).toBe(200);
    const conflict = await apply(deployment({ replicas: 2 }));
    expect(conflict.status).toBe(409);
    expect(conflict.body.message).toContain('conflict with "kubectl-scale": .spec.replicas');
    const forced = await apply(deployment({ replicas: 2 }), 'edgetower', true);
    expect(forced.status).toBe(200);
    expect(forced.body.spec.replicas).toBe(2);
    const managers = forced.body.metadata.managedFields.map((m) => m.manager);
    expect(managers).toEqual(['edgetower']);
  });

  it('leaves fields it never applied alone and removes the ones it stops applying', async () => {
    await apply(deployment({}));
    await call(
      'PATCH',
      `${path}?fieldManager=hpa`,
      { spec: { replicas: 7 } },
      'application/merge-patch+json',
    );
    const reapplied = await apply(
      { ...deployment({}), metadata: { name: 'web', labels: {} } },
      'edgetower',
      true,
    );
    expect(reapplied.body.spec.replicas).toBe(7); // the HPA's
    expect(reapplied.body.metadata.labels?.app).toBeUndefined(); // edgetower's, dropped
  });
});

describe('workload controllers', () => {
  it('turns a Deployment ready, and a broken one into ProgressDeadlineExceeded', async () => {
    await apply(deployment({ replicas: 2 }));
    await waitFor(
      () => at(emu.store.get('deployments', 'shop', 'web'), 'status', 'readyReplicas') === 2,
      2000,
    );
    const broken = deployment({ replicas: 2 });
    broken.spec.template.spec.containers[0]!.image = 'nginx:broken';
    await apply(broken, 'edgetower', true);
    await waitFor(() => {
      const status = emu.store.get('deployments', 'shop', 'web')?.status as {
        conditions?: { reason?: string }[];
      };
      return status?.conditions?.some((c) => c.reason === 'ProgressDeadlineExceeded');
    }, 2000);
  });

  it('holds status changes while paused', async () => {
    emu.workloads?.pause();
    await apply(deployment({ replicas: 1 }));
    await new Promise((r) => setTimeout(r, 100));
    expect(emu.store.get('deployments', 'shop', 'web')?.status).toBeUndefined();
    emu.workloads?.resume();
    expect(at(emu.store.get('deployments', 'shop', 'web'), 'status', 'readyReplicas')).toBe(1);
  });
});
