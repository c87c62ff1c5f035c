import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../agents/log';
import { bindingName, subjectHash } from '../../agents/rbac-projection/objects';
import { RbacProjectionReconciler } from '../../agents/rbac-projection/reconciler';
import type { RoleProjectionStatusFrame } from '../../functions/projection/frames';
import { clusterRole, FakeRbacCluster, frame, group, user } from './rbac-projection-fakes';

const h = (kind: string, name: string) => subjectHash(kind, name);

function setUp() {
  const cluster = new FakeRbacCluster();
  const reports: RoleProjectionStatusFrame[] = [];
  const reconciler = new RbacProjectionReconciler({
    roleBindings: cluster.roleBindings,
    roles: cluster.roles,
    namespaces: cluster.namespaces,
    writer: cluster.writer(),
    log: silentLogger,
    report: (status) => reports.push(status),
    agentNamespace: 'edgetower-system',
    debounceMs: 5,
  });
  return { cluster, reports, reconciler };
}

/** Lets scheduled passes run until the cluster is quiet. */
async function settle(reconciler: RbacProjectionReconciler): Promise<void> {
  for (let i = 0; i < 5; i++) {
    await new Promise((r) => setTimeout(r, 20));
    await reconciler.reconcile();
  }
}

const names = (cluster: FakeRbacCluster, kind: 'RoleBinding' | 'Role') =>
  cluster
    .managed(kind)
    .map((o) => `${o.metadata.namespace}/${o.metadata.name}`)
    .sort();

const alphaProjection = () =>
  frame({
    workspaces: [
      {
        workspace: 'alpha',
        bindings: [
          { roleRef: clusterRole('admin'), subject: user('ann') },
          { roleRef: clusterRole('view'), subject: group('edgetower:alpha:devs') },
        ],
      },
    ],
    namespaces: [
      {
        namespace: 'alpha-web',
        workspace: 'alpha',
        bindings: [
          { roleRef: clusterRole('edit'), subject: user('olga') },
          { roleRef: { kind: 'Role', name: 'deployer' }, subject: user('dan') },
        ],
        roles: [
          {
            name: 'deployer',
            rules: [{ apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'update'] }],
            edgeOnly: ['alerts'],
          },
        ],
      },
    ],
  });

describe('RBAC projection reconciler', () => {
  it('creates RoleBindings in every namespace labelled with the workspace, and Roles for custom roles', async () => {
    const { cluster, reconciler, reports } = setUp();
    cluster.addNamespace('alpha-web', 'alpha');
    cluster.addNamespace('alpha-made-by-kubectl', 'alpha');
    cluster.addNamespace('beta-web', 'beta');
    cluster.addNamespace('unlabelled');
    cluster.addNamespace('kube-system', 'alpha'); // reserved: never projected into
    reconciler.setDesired(alphaProjection());
    await settle(reconciler);

    expect(names(cluster, 'RoleBinding')).toEqual(
      [
        `alpha-made-by-kubectl/edgetower-admin-${h('User', 'ann')}`,
        `alpha-made-by-kubectl/edgetower-view-${h('Group', 'edgetower:alpha:devs')}`,
        `alpha-web/edgetower-admin-${h('User', 'ann')}`,
        `alpha-web/edgetower-custom-deployer-${h('User', 'dan')}`,
        `alpha-web/edgetower-edit-${h('User', 'olga')}`,
        `alpha-web/edgetower-view-${h('Group', 'edgetower:alpha:devs')}`,
      ].sort(),
    );
    expect(names(cluster, 'Role')).toEqual(['alpha-web/edgetower-custom-deployer']);
    const binding = cluster.get('RoleBinding', 'alpha-web', `edgetower-edit-${h('User', 'olga')}`);
    expect(binding).toMatchObject({
      metadata: { labels: { 'app.kubernetes.io/managed-by': 'edgetower' } },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'olga' }],
    });
    expect(cluster.get('Role', 'alpha-web', 'edgetower-custom-deployer')).toMatchObject({
      metadata: { annotations: { 'edgetower.io/edge-only-resources': 'alerts' } },
      rules: [{ apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'update'] }],
    });
    expect(reports.at(-1)).toMatchObject({ inSync: true, objects: 7, failures: 0, conflicts: [] });
  });

  it('writes nothing when the cluster already matches, and nothing before the first projection', async () => {
    const { cluster, reconciler } = setUp();
    cluster.addNamespace('alpha-web', 'alpha');
    await reconciler.reconcile();
    expect(cluster.writes).toEqual([]);
    reconciler.setDesired(alphaProjection());
    await settle(reconciler);
    const writes = cluster.writes.length;
    reconciler.setDesired(alphaProjection()); // same content, new revision
    await settle(reconciler);
    expect(cluster.writes.length).toBe(writes);
  });

  it('follows changes: a binding removed, a role changed, a namespace relabelled or created', async () => {
    const { cluster, reconciler } = setUp();
    cluster.addNamespace('alpha-web', 'alpha');
    reconciler.setDesired(alphaProjection());
    await settle(reconciler);

    // olga: operator → viewer (a new name), ann's workspace-admin gone, dan's custom role gone.
    reconciler.setDesired(
      frame({
        workspaces: [
          {
            workspace: 'alpha',
            bindings: [{ roleRef: clusterRole('view'), subject: group('edgetower:alpha:devs') }],
          },
        ],
        namespaces: [
          {
            namespace: 'alpha-web',
            workspace: 'alpha',
            bindings: [{ roleRef: clusterRole('view'), subject: user('olga') }],
            roles: [],
          },
        ],
      }),
    );
    await settle(reconciler);
    expect(names(cluster, 'RoleBinding')).toEqual(
      [
        `alpha-web/edgetower-view-${h('Group', 'edgetower:alpha:devs')}`,
        `alpha-web/edgetower-view-${h('User', 'olga')}`,
      ].sort(),
    );
    expect(names(cluster, 'Role')).toEqual([]);

    // A namespace created outside the API with the workspace label is covered at once.
    cluster.addNamespace('alpha-new', 'alpha');
    await settle(reconciler);
    expect(names(cluster, 'RoleBinding')).toContain(
      `alpha-new/edgetower-view-${h('Group', 'edgetower:alpha:devs')}`,
    );
    // Relabelled to another workspace: alpha's bindings leave it (namespace bindings too).
    cluster.addNamespace('alpha-web', 'beta');
    await settle(reconciler);
    expect(names(cluster, 'RoleBinding').filter((n) => n.startsWith('alpha-web/'))).toEqual([]);
  });

  it('puts back a managed RoleBinding that was deleted or edited (drift)', async () => {
    const { cluster, reconciler } = setUp();
    cluster.addNamespace('alpha-web', 'alpha');
    reconciler.setDesired(alphaProjection());
    await settle(reconciler);
    const name = `edgetower-edit-${h('User', 'olga')}`;

    cluster.drop('RoleBinding', 'alpha-web', name);
    await settle(reconciler);
    expect(cluster.get('RoleBinding', 'alpha-web', name)).toBeDefined();

    const edited = structuredClone(cluster.get('RoleBinding', 'alpha-web', name)!);
    edited.subjects = [{ kind: 'User', name: 'mallory', apiGroup: 'rbac.authorization.k8s.io' }];
    cluster.put('RoleBinding', edited);
    await settle(reconciler);
    expect(cluster.get('RoleBinding', 'alpha-web', name)?.subjects).toEqual([
      { apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'olga' },
    ]);

    const role = structuredClone(cluster.get('Role', 'alpha-web', 'edgetower-custom-deployer')!);
    role.rules = [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }];
    cluster.put('Role', role);
    await settle(reconciler);
    expect(cluster.get('Role', 'alpha-web', 'edgetower-custom-deployer')?.rules).toEqual([
      { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'update'] },
    ]);
  });

  it('never touches objects not labelled managed-by=edgetower, even under a desired name', async () => {
    const { cluster, reconciler, reports } = setUp();
    cluster.addNamespace('alpha-web', 'alpha');
    const taken = `edgetower-edit-${h('User', 'olga')}`;
    const squatter = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: taken, namespace: 'alpha-web', labels: { team: 'ops' } },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'someone' }],
    };
    cluster.put('RoleBinding', squatter);
    const handMade = {
      ...squatter,
      metadata: { name: 'ops-admins', namespace: 'alpha-web' },
    };
    cluster.put('RoleBinding', handMade);
    reconciler.setDesired(alphaProjection());
    await settle(reconciler);
    expect(cluster.get('RoleBinding', 'alpha-web', taken)).toMatchObject({
      subjects: squatter.subjects,
      metadata: { labels: { team: 'ops' } },
    });
    expect(cluster.get('RoleBinding', 'alpha-web', 'ops-admins')).toBeDefined();
    expect(reports.at(-1)).toMatchObject({
      inSync: false,
      conflicts: [{ namespace: 'alpha-web', name: taken }],
    });
    expect(cluster.writes.filter((w) => w.includes(taken) && !w.startsWith('create'))).toEqual([]);

    // A managed object someone un-labels becomes theirs: edgetower lets it be.
    const ours = `edgetower-admin-${h('User', 'ann')}`;
    const adopted = structuredClone(cluster.get('RoleBinding', 'alpha-web', ours)!);
    adopted.metadata.labels = { team: 'ops' };
    cluster.put('RoleBinding', adopted);
    reconciler.setDesired(frame({ workspaces: [], namespaces: [] })); // nothing desired any more
    await settle(reconciler);
    expect(cluster.get('RoleBinding', 'alpha-web', ours)).toBeDefined();
    expect(cluster.get('RoleBinding', 'alpha-web', 'ops-admins')).toBeDefined();
    expect(names(cluster, 'RoleBinding')).toEqual([]);
  });

  it('names RoleBindings by role and subject hash, the same on every agent', () => {
    expect(bindingName({ roleRef: clusterRole('admin'), subject: user('ann') })).toMatch(
      /^edgetower-admin-[0-9a-f]{10}$/,
    );
    expect(bindingName({ roleRef: { kind: 'Role', name: 'deployer' }, subject: user('ann') })).toBe(
      `edgetower-custom-deployer-${h('User', 'ann')}`,
    );
    expect(h('User', 'ann')).not.toBe(h('Group', 'ann'));
  });
});
