import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { createDb } from '../../../db/client';
import type { PlatformRole, ScopeType } from '../../../db/schema';
import {
  clusters,
  groupMembers,
  groups,
  namespaces,
  roleBindings,
  workspaceClusters,
  workspaces,
} from '../../../db/schema';
import worker from '../../../functions/index';
import { ADMIN, bearer, login, seedUser } from './auth';

/**
 * Two tenants (workspaces `alpha` and `beta`), two clusters (`east`,
 * `west`, both granted to both), a namespace of each workspace in each
 * cluster, and one user per role. The `alpha-*` and `proj-*` users hold roles in alpha only; `beta-*`
 * in beta only. Everything is inserted straight into D1, so the fixture
 * does not depend on the routes it is used to test.
 */
export const personas = {
  admin: { platformRole: 'platform-admin' },
  'p-admin': { platformRole: 'platform-admin' },
  regular: { platformRole: 'platform-regular' },
  'users-mgr': { platformRole: 'users-manager' },
  'ws-mgr': { platformRole: 'workspaces-manager' },
  'east-admin': { cluster: ['east', 'cluster-admin'] },
  'east-viewer': { cluster: ['east', 'cluster-viewer'] },
  'alpha-admin': { workspace: ['alpha', 'workspace-admin'] },
  'alpha-regular': { workspace: ['alpha', 'workspace-regular'] },
  'alpha-viewer': { workspace: ['alpha', 'workspace-viewer'] },
  'alpha-prov': { workspace: ['alpha', 'workspace-self-provisioner'] },
  'beta-admin': { workspace: ['beta', 'workspace-admin'] },
  'beta-viewer': { workspace: ['beta', 'workspace-viewer'] },
  'proj-admin': { namespace: ['alpha-web', 'admin'] },
  'proj-operator': { namespace: ['alpha-web', 'operator'] },
  'proj-viewer': { namespace: ['alpha-web', 'viewer'] },
  /** Member of group alpha/devs, which is bound to workspace-viewer in alpha. */
  'alpha-dev': { group: 'devs' },
} as const satisfies Record<
  string,
  {
    platformRole?: PlatformRole;
    cluster?: readonly [string, string];
    workspace?: readonly [string, string];
    namespace?: readonly [string, string];
    group?: string;
  }
>;
export type Persona = keyof typeof personas;

/** Namespace placements: name -> [workspace, cluster]. */
export const placements = {
  'alpha-web': ['alpha', 'east'],
  'alpha-db': ['alpha', 'west'],
  'beta-web': ['beta', 'east'],
  'beta-db': ['beta', 'west'],
} as const;

export interface Fixture {
  /** An access token per persona. */
  tokens: Record<Persona, string>;
  /** Headers (bearer + JSON) per persona. */
  as(persona: Persona): Record<string, string>;
  ids: {
    users: Record<Persona, string>;
    workspaces: Record<'alpha' | 'beta', string>;
    clusters: Record<'east' | 'west', string>;
    namespaces: Record<keyof typeof placements, string>;
    groups: { devs: string };
  };
}

export const passwordOf = (name: string) => `pw-${name.split('').reverse().join('')}-9x`;

/** Seeds the two tenants and logs every persona in. Call once per test file (beforeAll). */
export async function seedFixture(): Promise<Fixture> {
  const db = createDb(env.DB);
  const id = () => crypto.randomUUID();
  const ws = { alpha: id(), beta: id() };
  const cl = { east: id(), west: id() };
  await db.insert(workspaces).values([
    { id: ws.alpha, name: 'alpha', createdBy: 'admin' },
    { id: ws.beta, name: 'beta', createdBy: 'admin' },
  ]);
  await db.insert(clusters).values([
    { id: cl.east, name: 'east' },
    { id: cl.west, name: 'west' },
  ]);
  const ns = Object.fromEntries(
    Object.keys(placements).map((name) => [name, id()]),
  ) as Fixture['ids']['namespaces'];
  await db.insert(namespaces).values(
    Object.entries(placements).map(([name, [w, c]]) => ({
      id: ns[name as keyof typeof placements],
      name,
      workspaceId: ws[w],
      clusterId: cl[c],
    })),
  );
  // Every workspace is granted the clusters it has namespaces in (as migration 0006 backfills).
  await db.insert(workspaceClusters).values(
    (['alpha', 'beta'] as const).flatMap((w) =>
      (['east', 'west'] as const).map((c) => ({
        workspaceId: ws[w],
        clusterId: cl[c],
        grantedBy: 'admin',
      })),
    ),
  );
  const devs = id();
  await db.insert(groups).values({ id: devs, workspaceId: ws.alpha, name: 'devs' });
  await db.insert(roleBindings).values({
    scopeType: 'workspace',
    scopeId: ws.alpha,
    subjectType: 'group',
    subjectId: devs,
    role: 'workspace-viewer',
  });

  const users = {} as Record<Persona, string>;
  const bindings: (typeof roleBindings.$inferInsert)[] = [];
  const bind = (scopeType: ScopeType, scopeId: string, userId: string, role: string) =>
    bindings.push({ scopeType, scopeId, subjectType: 'user', subjectId: userId, role });
  for (const [name, spec] of Object.entries(personas) as [Persona, (typeof personas)[Persona]][]) {
    if (name === 'admin') continue; // the bootstrap admin, created by the first seedUser
    const user = await seedUser({
      name,
      password: passwordOf(name),
      platformRole: 'platformRole' in spec ? spec.platformRole : 'platform-regular',
    });
    users[name] = user.id;
    if ('cluster' in spec) bind('cluster', cl[spec.cluster[0]], user.id, spec.cluster[1]);
    if ('workspace' in spec) bind('workspace', ws[spec.workspace[0]], user.id, spec.workspace[1]);
    if ('namespace' in spec) bind('namespace', ns[spec.namespace[0]], user.id, spec.namespace[1]);
    if ('group' in spec) await db.insert(groupMembers).values({ groupId: devs, userId: user.id });
  }
  await db.insert(roleBindings).values(bindings);

  const tokens = {} as Record<Persona, string>;
  await Promise.all(
    (Object.keys(personas) as Persona[]).map(async (name) => {
      tokens[name] =
        name === 'admin'
          ? await login(ADMIN.username, ADMIN.password)
          : await login(name, passwordOf(name));
    }),
  );
  const me = (await (
    await fetchWorker('/api/v1/me', { headers: bearer(tokens.admin) })
  ).json()) as {
    user: { id: string };
  };
  users.admin = me.user.id;
  return {
    tokens,
    as: (persona) => bearer(tokens[persona]),
    ids: { users, workspaces: ws, clusters: cl, namespaces: ns, groups: { devs } },
  };
}

/**
 * The worker's own fetch handler, called in-process with a fresh execution
 * context (waitUntil work is awaited). Not `exports.default.fetch`: under
 * vitest-pool-workers each such call gets slower as a file's request count
 * grows (cloudflare/workers-sdk#15446), and these tables send hundreds.
 */
export async function fetchWorker(path: string, init?: RequestInit): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(`https://edge.test${path}`, init), env, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

/** A JSON API call as `headers` (from `fixture.as(...)`); a string body is sent as is. */
export async function api(
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: unknown,
): Promise<{ status: number; body: unknown }> {
  const res = await fetchWorker(path, {
    method,
    headers,
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: keep the text for the assertion message
  }
  return { status: res.status, body: parsed };
}
