import { z } from '@hono/zod-openapi';
import { identityProviderTypes, mappingMethods } from '../../db/schema/identity-providers';
import { dnsLabel } from '../iam/names';

export const providerParam = z.object({ name: dnsLabel });
export const identityParam = providerParam.extend({ id: z.uuid() });

const groupMapping = z.strictObject({
  from: z.string().min(1).max(256).openapi({ description: 'Group name at the provider.' }),
  workspace: dnsLabel,
  group: dnsLabel,
});

/** Type-specific settings, validated by the type's plugin (see docs/identity.md). */
const config = z
  .record(z.string(), z.unknown())
  .openapi({ description: 'Settings of the type; secret fields are write-only.' });

export const createProviderBody = z.strictObject({
  name: dnsLabel,
  type: z.enum(identityProviderTypes),
  displayName: z.string().min(1).max(128).optional(),
  mappingMethod: z.enum(mappingMethods).default('auto'),
  config,
  groupMappings: z.array(groupMapping).max(200).default([]),
});

export const updateProviderBody = z.strictObject({
  displayName: z.string().min(1).max(128).nullable().optional(),
  mappingMethod: z.enum(mappingMethods).optional(),
  config: config
    .optional()
    .openapi({ description: 'Replaces the settings; secret fields left out keep their value.' }),
  groupMappings: z.array(groupMapping).max(200).optional(),
});

export const providerSchema = z
  .object({
    name: z.string(),
    type: z.enum(identityProviderTypes),
    displayName: z.string().nullable(),
    mappingMethod: z.enum(mappingMethods),
    config: z.record(z.string(), z.unknown()),
    configuredSecrets: z
      .array(z.string())
      .openapi({ description: 'Secret fields that have a value (values are never returned).' }),
    groupMappings: z.array(groupMapping),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime().nullable(),
  })
  .openapi('IdentityProvider');

export const linkIdentityBody = z.strictObject({
  externalId: z.string().min(1).max(1024),
  externalUsername: z.string().min(1).max(256).optional(),
  user: dnsLabel,
});

export const identitySchema = z
  .object({
    id: z.string(),
    externalId: z.string(),
    externalUsername: z.string().nullable(),
    user: z.string(),
    lastLoginAt: z.iso.datetime().nullable(),
    createdAt: z.iso.datetime(),
  })
  .openapi('Identity');

const importIssue = z.object({ path: z.string(), message: z.string() });

const kubeSphereYaml = z.string().openapi({
  description:
    "KubeSphere's kubesphere-config (the ConfigMap, its kubesphere.yaml, or authentication.oauthOptions.identityProviders), a ClusterConfiguration, or KubeSphere 4 identity provider Secrets.",
});

/** YAML under each of its media type spellings (the body middleware accepts them all here). */
export const importBody = {
  content: {
    'application/yaml': { schema: kubeSphereYaml },
    'application/x-yaml': { schema: kubeSphereYaml },
    'text/yaml': { schema: kubeSphereYaml },
    'text/x-yaml': { schema: kubeSphereYaml },
    'application/json': {
      schema: z.unknown().openapi({ description: 'The same, as JSON.' }),
    },
  },
  required: true,
};

export const importResultSchema = z
  .object({
    imported: z.array(providerSchema),
    skipped: z.array(z.object({ path: z.string(), name: z.string(), reason: z.string() })),
    warnings: z
      .array(importIssue)
      .openapi({ description: 'KubeSphere settings edgetower does not apply, and what to do.' }),
  })
  .openapi('IdentityProviderImport');
