import { env } from 'cloudflare:workers';
import { inArray } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { createDb } from '../../db/client';
import { projectionRows } from '../../db/queries/role-projection';
import { roleBindings, roles, users, workspaceClusters } from '../../db/schema';
import { desiredProjection, projectionHash } from '../../functions/projection/desired';
import { translateRules } from '../../functions/projection/rule-translation';
import { type Fixture, seedFixture } from './support/fixture';

let fx: Fixture;
const db = () => createDb(env.DB);
const eastProjection = async () =>
  desiredProjection(await projectionRows(db(), fx.ids.clusters.east));

beforeAll(async () => {
  fx = await seedFixture();
  // alpha is granted east only; beta is granted nothing (its namespaces there are placed, not
  // granted): the fixture's grants are replaced by these.
  await db()
    .delete(workspaceClusters)
    .where(
      inArray(workspaceClusters.workspaceId, [fx.ids.workspaces.alpha, fx.ids.workspaces.beta]),
    );
  await db().insert(workspaceClusters).values({
    workspaceId: fx.ids.workspaces.alpha,
    clusterId: fx.ids.clusters.east,
  });
});

describe('desired projection of a cluster', () => {
  it('projects the granted workspace: workspace-admin/viewer everywhere, project roles in their namespace', async () => {
    const projection = await eastProjection();
    expect(projection.workspaces).toEqual([
      {
        workspace: 'alpha',
        bindings: [
          {
            roleRef: { kind: 'ClusterRole', name: 'admin' },
            subject: { kind: 'User', name: 'alpha-admin' },
          },
          {
            roleRef: { kind: 'ClusterRole', name: 'view' },
            subject: { kind: 'Group', name: 'edgetower:alpha:devs' },
          },
          {
            roleRef: { kind: 'ClusterRole', name: 'view' },
            subject: { kind: 'User', name: 'alpha-viewer' },
          },
        ],
      },
    ]);
    expect(projection.namespaces).toEqual([
      {
        namespace: 'alpha-web',
        workspace: 'alpha',
        bindings: [
          {
            roleRef: { kind: 'ClusterRole', name: 'admin' },
            subject: { kind: 'User', name: 'proj-admin' },
          },
          {
            roleRef: { kind: 'ClusterRole', name: 'edit' },
            subject: { kind: 'User', name: 'proj-operator' },
          },
          {
            roleRef: { kind: 'ClusterRole', name: 'view' },
            subject: { kind: 'User', name: 'proj-viewer' },
          },
        ],
        roles: [],
      },
    ]);
  });

  it('leaves out workspace-regular and self-provisioners, ungranted workspaces and other clusters', async () => {
    const projection = await eastProjection();
    const subjects = JSON.stringify(projection);
    for (const absent of [
      'alpha-regular',
      'alpha-prov',
      'beta-admin',
      'beta-viewer',
      'beta-web',
      'alpha-db',
    ])
      expect(subjects).not.toContain(`"${absent}"`);
    const west = desiredProjection(await projectionRows(db(), fx.ids.clusters.west));
    expect(west).toEqual({ workspaces: [], namespaces: [] });
  });

  it('translates a custom namespace role into a Role, naming the edge-only resources', async () => {
    await db()
      .insert(roles)
      .values({
        workspaceId: fx.ids.workspaces.alpha,
        name: 'deployer',
        rules: [
          { verbs: ['get', 'list', 'update'], resources: ['k8s'] },
          { verbs: ['*'], resources: ['alerts', 'silences'] },
        ],
      });
    await db().insert(roleBindings).values({
      scopeType: 'namespace',
      scopeId: fx.ids.namespaces['alpha-web'],
      subjectType: 'user',
      subjectId: fx.ids.users.regular,
      role: 'deployer',
    });
    const web = (await eastProjection()).namespaces[0];
    expect(web?.bindings).toContainEqual({
      roleRef: { kind: 'Role', name: 'deployer' },
      subject: { kind: 'User', name: 'regular' },
    });
    expect(web?.roles).toHaveLength(1);
    expect(web?.roles[0]?.edgeOnly).toEqual(['alerts', 'silences']);
    expect(web?.roles[0]?.rules).toContainEqual({
      apiGroups: ['apps'],
      resources: expect.arrayContaining(['deployments']),
      verbs: ['get', 'list', 'update'],
    });
  });

  it('drops disabled users, and the hash follows content only', async () => {
    const before = await projectionHash(await eastProjection());
    expect(await projectionHash(await eastProjection())).toBe(before);
    await env.DB.prepare("UPDATE users SET status = 'disabled' WHERE name = 'proj-viewer'").run();
    const after = await eastProjection();
    expect(JSON.stringify(after)).not.toContain('proj-viewer');
    expect(await projectionHash(after)).not.toBe(before);
    await db().update(users).set({ status: 'active' });
  });
});

describe('rule translation', () => {
  it('never emits a Kubernetes wildcard or RBAC objects, even for *×*', () => {
    const { rules, edgeOnly } = translateRules([{ verbs: ['*'], resources: ['*'] }]);
    const flat = JSON.stringify(rules);
    expect(flat).not.toContain('"*"');
    for (const forbidden of [
      'roles',
      'rolebindings',
      'clusterroles',
      'impersonate',
      'escalate',
      'bind',
    ])
      expect(flat).not.toContain(`"${forbidden}"`);
    expect(rules).toContainEqual({
      apiGroups: [''],
      resources: ['secrets'],
      verbs: expect.arrayContaining(['delete']),
    });
    expect(edgeOnly).toEqual([]);
  });

  it('reads without secrets, events and the namespace read-only, edge resources named', () => {
    const { rules, edgeOnly } = translateRules([
      { verbs: ['get', 'list', 'watch'], resources: ['k8s', 'events', 'namespaces', 'metering'] },
      { verbs: ['delete'], resources: ['events'] },
    ]);
    expect(JSON.stringify(rules)).not.toContain('secrets');
    expect(rules).toContainEqual({
      apiGroups: ['', 'events.k8s.io'],
      resources: ['events'],
      verbs: ['get', 'list', 'watch'],
    });
    expect(rules).toContainEqual({
      apiGroups: [''],
      resources: ['namespaces'],
      verbs: ['get', 'list', 'watch'],
    });
    expect(rules.some((r) => r.resources.includes('events') && r.verbs.includes('delete'))).toBe(
      false,
    );
    expect(edgeOnly).toEqual(['metering']);
  });
});
