import { describe, expect, it } from 'vitest';
import type { AppClusterRow } from '../../db/queries/apps';
import { applyPatch, PatchError } from '../../functions/delivery/json-patch';
import { parseManifests } from '../../functions/delivery/manifests';
import { renderForCluster } from '../../functions/delivery/render';
import { rolloutVerdict } from '../../functions/delivery/rollout';
import type { AppSpec } from '../../functions/delivery/schemas';

describe('JSON patch (RFC 6902)', () => {
  const doc = { a: { b: [1, 2, 3] }, 'x/y': { '~': 1 } };
  it('adds, removes, replaces, moves, copies and tests', () => {
    expect(applyPatch(doc, [{ op: 'add', path: '/a/b/1', value: 9 }]).a.b).toEqual([1, 9, 2, 3]);
    expect(applyPatch(doc, [{ op: 'add', path: '/a/b/-', value: 4 }]).a.b).toEqual([1, 2, 3, 4]);
    expect(applyPatch(doc, [{ op: 'remove', path: '/a/b/0' }]).a.b).toEqual([2, 3]);
    expect(applyPatch(doc, [{ op: 'replace', path: '/x~1y/~0', value: 2 }])['x/y']).toEqual({
      '~': 2,
    });
    expect(applyPatch(doc, [{ op: 'move', from: '/a/b', path: '/c' }])).toEqual({
      a: {},
      'x/y': { '~': 1 },
      c: [1, 2, 3],
    });
    expect(applyPatch(doc, [{ op: 'copy', from: '/a/b/2', path: '/d' }])).toMatchObject({ d: 3 });
    expect(() => applyPatch(doc, [{ op: 'test', path: '/a/b/0', value: 2 }])).toThrow(PatchError);
    expect(() => applyPatch(doc, [{ op: 'replace', path: '/nope', value: 1 }])).toThrow(PatchError);
    expect(doc.a.b).toEqual([1, 2, 3]); // the input is never changed
  });
});

describe('manifests', () => {
  it('names the broken document when the stream opens with ---', () => {
    expect(() => parseManifests('---\nkind: A\n---\nkind: [\n', 'ns')).toThrow(
      /document 1 is broken at line 5/,
    );
  });
  it('puts objects without a namespace in the app namespace and skips empty documents', () => {
    const objects = parseManifests(
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n',
      'ns',
    );
    expect(objects).toEqual([
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'ns' } },
    ]);
  });
});

describe('node placement', () => {
  it('adds edge avoidance to every existing node selector term (cloud), CronJobs included', () => {
    const cron = {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'c' },
      spec: {
        jobTemplate: {
          spec: {
            template: {
              spec: {
                containers: [{ name: 'c', image: 'x' }],
                affinity: {
                  nodeAffinity: {
                    requiredDuringSchedulingIgnoredDuringExecution: {
                      nodeSelectorTerms: [
                        { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] },
                        { matchExpressions: [{ key: 'zone', operator: 'In', values: ['b'] }] },
                      ],
                    },
                  },
                },
              },
            },
          },
        },
      },
    };
    const [out] = renderForCluster(
      [cron],
      { nodes: 'cloud', overrides: [] },
      { name: 'x', labels: {} },
    );
    const terms = (out as unknown as typeof cron).spec.jobTemplate.spec.template.spec.affinity
      .nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms;
    for (const term of terms)
      expect(term.matchExpressions).toContainEqual({
        key: 'node-role.kubernetes.io/edge',
        operator: 'DoesNotExist',
      });
  });
});

describe('rollout verdict', () => {
  const row = (cluster: string, over: Partial<AppClusterRow> = {}): AppClusterRow => ({
    appId: 'a',
    clusterId: cluster,
    cluster,
    link: 'conn',
    connectionId: 'conn',
    targetGeneration: 1,
    admittedAt: new Date(0),
    ackedGeneration: 1,
    state: 'ready',
    observedGeneration: 1,
    message: null,
    resources: [],
    readyAt: new Date(1),
    removing: false,
    expiresAt: null,
    updatedAt: new Date(0),
    ...over,
  });
  const spec: AppSpec = {
    placement: { clusters: [] },
    nodes: 'any',
    overrides: [],
    rollout: { maxUnavailableClusters: 2, progressDeadlineSeconds: 600 },
  };
  const app = { generation: 2, deletingAt: null, halted: null };
  const now = new Date(1000);

  it('admits up to N reachable clusters by name, deferring unreachable ones', () => {
    const rows = [row('c'), row('a', { link: null }), row('b'), row('d')];
    expect(rolloutVerdict(app, spec, rows, now).admit.map((r) => r.cluster)).toEqual(['b', 'c']);
  });
  it('counts admitted clusters not yet ready against N', () => {
    const rows = [row('a', { targetGeneration: 2, admittedAt: now }), row('b'), row('c')];
    expect(rolloutVerdict(app, spec, rows, now).admit.map((r) => r.cluster)).toEqual(['b']);
  });
  it('admits everything at once without a rollout', () => {
    const { rollout: _r, ...plain } = spec;
    expect(rolloutVerdict(app, plain, [row('a'), row('b'), row('c')], now).admit).toHaveLength(3);
  });
});
