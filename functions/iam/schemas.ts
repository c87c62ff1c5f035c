import { z } from '@hono/zod-openapi';
import { platformRoles } from '../../db/schema/users';
import { knownResources, knownVerbs } from './builtin-roles';
import { dnsLabel } from './names';

/** The request body of a route: JSON, required. */
export const jsonBody = <T extends z.ZodType>(schema: T) => ({
  content: { 'application/json': { schema } },
  required: true,
});

export const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});

const errorSchema = z
  .object({ code: z.string(), message: z.string(), requestId: z.string() })
  .openapi('Error');
const error = (description: string) => json(errorSchema, description);

/** The error responses every authenticated IAM route may give. */
export const errors = {
  400: error('Invalid input (with the failing fields).'),
  401: error('Missing or invalid bearer token.'),
  403: error('Visible, but not allowed.'),
  404: error('Not found, or not visible to the caller.'),
} as const;
export const writeErrors = {
  ...errors,
  409: error('Name already taken.'),
  415: error('Body is not JSON.'),
} as const;

export const noContent = { 204: { description: 'Done.' } } as const;

export const timestamp = z.iso.datetime();

export const userSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    email: z.string().nullable(),
    displayName: z.string().nullable(),
    platformRole: z.enum(platformRoles),
    status: z.enum(['active', 'disabled']),
    lastLoginAt: timestamp.nullable(),
    createdAt: timestamp,
  })
  .openapi('User');

export const workspaceSchema = z
  .object({
    name: z.string(),
    description: z.string().nullable(),
    clusters: z
      .array(z.string())
      .openapi({ description: 'Clusters granted to the workspace, by name (sorted).' }),
    createdBy: z.string().nullable(),
    createdAt: timestamp,
  })
  .openapi('Workspace');

/** A workspace after a change of its clusters: namespaces left in revoked clusters, unplaced. */
export const workspaceUpdateSchema = workspaceSchema
  .extend({
    unplaced: z.array(z.object({ cluster: z.string(), namespace: z.string() })).openapi({
      description:
        'Placements removed because their cluster was revoked; the namespaces stay in the cluster.',
    }),
  })
  .openapi('WorkspaceUpdate');

export const memberSchema = z
  .object({ user: z.string(), role: z.string(), createdAt: timestamp })
  .openapi('Member');

export const groupSchema = z
  .object({
    name: z.string(),
    description: z.string().nullable(),
    role: z.string().nullable().openapi({ description: 'Workspace role bound to the group.' }),
    createdAt: timestamp,
  })
  .openapi('Group');

export const namespaceSchema = z
  .object({
    name: z.string(),
    cluster: z.string(),
    workspace: z.string(),
    createdBy: z.string().nullable(),
    createdAt: timestamp,
  })
  .openapi('Namespace');

export const ruleSchema = z
  .strictObject({
    verbs: z
      .array(z.enum(['*', ...knownVerbs]))
      .min(1)
      .max(16),
    resources: z
      .array(z.enum(['*', ...knownResources]))
      .min(1)
      .max(64),
  })
  .openapi('PolicyRule');

export const roleSchema = z
  .object({
    name: z.string(),
    description: z.string().nullable(),
    builtin: z.boolean(),
    rules: z.array(z.object({ verbs: z.array(z.string()), resources: z.array(z.string()) })),
    createdAt: timestamp.nullable(),
  })
  .openapi('Role');

export const wsParam = z.object({ ws: dnsLabel });
export const description = z.string().max(1024);
