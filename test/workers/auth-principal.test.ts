import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { createDb } from '../../db/client';
import { loadPrincipal } from '../../db/queries/principal';
import {
  clusters,
  groupMembers,
  groups,
  namespaces,
  roleBindings,
  roles,
  workspaces,
} from '../../db/schema';
import { can } from '../../functions/iam/authorize';
import { seedUser } from './support/auth';

const db = createDb(env.DB);

describe('loadPrincipal', () => {
  it('resolves direct and group bindings with built-in and custom role rules', async () => {
    const user = await seedUser({ name: 'carol', platformRole: 'workspaces-manager' });
    const [wsA, wsB] = await db
      .insert(workspaces)
      .values([{ name: 'ws-a' }, { name: 'ws-b' }])
      .returning();
    const [cluster] = await db.insert(clusters).values({ name: 'edge-1' }).returning();
    const [ns] = await db
      .insert(namespaces)
      .values({ name: 'shop', clusterId: cluster!.id, workspaceId: wsA!.id })
      .returning();
    const [devs] = await db
      .insert(groups)
      .values({ name: 'devs', workspaceId: wsB!.id })
      .returning();
    await db.insert(groupMembers).values({ groupId: devs!.id, userId: user.id });
    await db.insert(roles).values([
      // A platform custom role and a workspace role of the same name: the workspace's wins there.
      { name: 'auditor', workspaceId: null, rules: [{ verbs: ['get'], resources: ['audit'] }] },
      {
        name: 'auditor',
        workspaceId: wsA!.id,
        rules: [{ verbs: ['list'], resources: ['alerts'] }],
      },
      {
        name: 'deployer',
        workspaceId: wsB!.id,
        rules: [{ verbs: ['create'], resources: ['k8s'] }],
      },
    ]);
    await db.insert(roleBindings).values([
      {
        scopeType: 'workspace',
        scopeId: wsA!.id,
        subjectType: 'user',
        subjectId: user.id,
        role: 'workspace-viewer',
      },
      {
        scopeType: 'namespace',
        scopeId: ns!.id,
        subjectType: 'user',
        subjectId: user.id,
        role: 'auditor',
      },
      {
        scopeType: 'cluster',
        scopeId: cluster!.id,
        subjectType: 'user',
        subjectId: user.id,
        role: 'auditor',
      },
      {
        scopeType: 'workspace',
        scopeId: wsB!.id,
        subjectType: 'group',
        subjectId: devs!.id,
        role: 'deployer',
      },
      {
        scopeType: 'workspace',
        scopeId: wsB!.id,
        subjectType: 'user',
        subjectId: 'someone-else',
        role: 'workspace-admin',
      },
    ]);

    const loaded = await loadPrincipal(db, user.id);
    expect(loaded?.user.name).toBe('carol');
    const p = loaded!.principal;
    expect(p).toMatchObject({
      userId: user.id,
      username: 'carol',
      platformRole: 'workspaces-manager',
    });
    expect(p.groups).toEqual(['edgetower:ws-b:devs']);
    const byScope = Object.fromEntries(p.bindings.map((b) => [`${b.scopeType}/${b.role}`, b]));
    expect(Object.keys(byScope).sort()).toEqual([
      'cluster/auditor',
      'namespace/auditor',
      'workspace/deployer',
      'workspace/workspace-viewer',
    ]);
    expect(byScope['namespace/auditor']?.rules).toEqual([
      { verbs: ['list'], resources: ['alerts'] },
    ]);
    expect(byScope['cluster/auditor']?.rules).toEqual([{ verbs: ['get'], resources: ['audit'] }]);
    expect(byScope['workspace/deployer']).toMatchObject({ viaGroup: 'ws-b:devs' });
    expect(byScope['workspace/workspace-viewer']?.rules[0]?.verbs).toEqual([
      'get',
      'list',
      'watch',
    ]);

    const principal = { ...p, via: 'access-token' as const, scopes: [] };
    const nsScope = {
      level: 'namespace',
      namespaceId: ns!.id,
      workspaceId: wsA!.id,
      clusterId: cluster!.id,
    } as const;
    expect(can(principal, 'list', 'alerts', nsScope)).toBe(true);
    expect(can(principal, 'create', 'k8s', { level: 'workspace', workspaceId: wsB!.id })).toBe(
      true,
    );
    expect(can(principal, 'create', 'k8s', { level: 'workspace', workspaceId: wsA!.id })).toBe(
      false,
    );
  });

  it('grants nothing for a custom role that no longer exists, and undefined for unknown users', async () => {
    const user = await seedUser({ name: 'dave' });
    const [ws] = await db.insert(workspaces).values({ name: 'ws-c' }).returning();
    await db.insert(roleBindings).values({
      scopeType: 'workspace',
      scopeId: ws!.id,
      subjectType: 'user',
      subjectId: user.id,
      role: 'deleted-role',
    });
    const loaded = await loadPrincipal(db, user.id);
    expect(loaded?.principal.bindings).toEqual([
      { scopeType: 'workspace', scopeId: ws!.id, role: 'deleted-role', rules: [] },
    ]);
    expect(await loadPrincipal(db, 'no-such-user')).toBeUndefined();
  });
});
