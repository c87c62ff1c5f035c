import { describe, expect, it } from 'vitest';
import { hasDrifted } from '../../agents/delivery/drift';
import { readinessOf } from '../../agents/delivery/readiness';
import type { KubeObject } from '../../protocol/delivery';

const obj = (
  apiVersion: string,
  kind: string,
  rest: Record<string, unknown>,
  generation = 1,
): KubeObject => ({
  apiVersion,
  kind,
  metadata: { name: 'x', generation },
  ...rest,
});

describe('readiness by the object’s own status', () => {
  it('Deployment: waits for the controller to observe the generation, then counts replicas', () => {
    const stale = obj(
      'apps/v1',
      'Deployment',
      {
        spec: { replicas: 2 },
        status: {
          observedGeneration: 1,
          updatedReplicas: 2,
          readyReplicas: 2,
          availableReplicas: 2,
          replicas: 2,
        },
      },
      2,
    );
    expect(readinessOf(stale)).toMatchObject({
      ready: false,
      message: expect.stringContaining('generation 2'),
    });
    const rolling = obj(
      'apps/v1',
      'Deployment',
      {
        spec: { replicas: 2 },
        status: {
          observedGeneration: 2,
          updatedReplicas: 2,
          readyReplicas: 2,
          availableReplicas: 2,
          replicas: 3,
        },
      },
      2,
    );
    expect(readinessOf(rolling).ready).toBe(false); // an old replica still runs
    const done = obj(
      'apps/v1',
      'Deployment',
      {
        spec: { replicas: 2 },
        status: {
          observedGeneration: 2,
          updatedReplicas: 2,
          readyReplicas: 2,
          availableReplicas: 2,
          replicas: 2,
        },
      },
      2,
    );
    expect(readinessOf(done)).toEqual({ ready: true });
  });

  it('StatefulSet, DaemonSet, Job, PVC and other kinds', () => {
    expect(
      readinessOf(
        obj('apps/v1', 'StatefulSet', {
          spec: { replicas: 3 },
          status: { observedGeneration: 1, updatedReplicas: 3, readyReplicas: 2 },
        }),
      ).ready,
    ).toBe(false);
    expect(
      readinessOf(
        obj('apps/v1', 'DaemonSet', {
          status: {
            observedGeneration: 1,
            desiredNumberScheduled: 4,
            updatedNumberScheduled: 4,
            numberReady: 4,
          },
        }),
      ).ready,
    ).toBe(true);
    expect(
      readinessOf(
        obj('batch/v1', 'Job', {
          status: {
            conditions: [{ type: 'Failed', status: 'True', message: 'BackoffLimitExceeded' }],
          },
        }),
      ),
    ).toEqual({ ready: false, failed: true, message: 'BackoffLimitExceeded' });
    expect(
      readinessOf(
        obj('batch/v1', 'Job', { status: { conditions: [{ type: 'Complete', status: 'True' }] } }),
      ).ready,
    ).toBe(true);
    expect(
      readinessOf(obj('v1', 'PersistentVolumeClaim', { status: { phase: 'Pending' } })).ready,
    ).toBe(false);
    expect(
      readinessOf(obj('v1', 'PersistentVolumeClaim', { status: { phase: 'Bound' } })).ready,
    ).toBe(true);
    expect(readinessOf(obj('v1', 'Service', {})).ready).toBe(true);
  });
});

describe('drift: only the manifest’s fields count', () => {
  const desired = obj('apps/v1', 'Deployment', {
    metadata: { name: 'x', labels: { a: '1' } },
    spec: { template: { spec: { containers: [{ name: 'web', image: 'nginx:1' }] } } },
  });
  const live = (image: string, extra: Record<string, unknown> = {}) =>
    obj('apps/v1', 'Deployment', {
      metadata: { name: 'x', labels: { a: '1', other: 'y' }, resourceVersion: '9' },
      spec: {
        replicas: 7,
        template: {
          spec: {
            containers: [
              { name: 'sidecar', image: 's' },
              { name: 'web', image, imagePullPolicy: 'IfNotPresent' },
            ],
          },
        },
        ...extra,
      },
      status: { readyReplicas: 7 },
    });

  it('ignores fields it does not set (replicas, defaults, other containers, status)', () => {
    expect(hasDrifted(desired, live('nginx:1'))).toBe(false);
  });

  it('sees a changed image or label', () => {
    expect(hasDrifted(desired, live('evil'))).toBe(true);
    const relabelled = live('nginx:1');
    relabelled.metadata = { ...relabelled.metadata, labels: { a: '2' } };
    expect(hasDrifted(desired, relabelled)).toBe(true);
  });

  it('does not compare Secret payloads (the agent does not keep them)', () => {
    const secret = obj('v1', 'Secret', { stringData: { pw: 'x' }, type: 'Opaque' });
    expect(hasDrifted(secret, obj('v1', 'Secret', { type: 'Opaque' }))).toBe(false);
    expect(hasDrifted(secret, obj('v1', 'Secret', { type: 'kubernetes.io/tls' }))).toBe(true);
  });
});
