import type { Database } from '../../../db/client';
import {
  createIdentityProviders,
  existingProviderNames,
  type IdentityProviderRow,
} from '../../../db/queries/identity-providers';
import type { Env } from '../../env';
import { ApiError, type FieldIssue } from '../../errors';
import { orConflict } from '../../iam/conflicts';
import { checkConfig, sealChecked } from '../provider-config';
import type { IdentityProviderPlugin } from '../types';
import { kubeSphereEntries } from './document';
import { type Translation, translateEntry } from './translate';

export interface ImportResult {
  imported: IdentityProviderRow[];
  /** Entries left out on purpose (disabled in KubeSphere). */
  skipped: { path: string; name: string; reason: string }[];
  /** Settings edgetower does not apply, and what to do about them. */
  warnings: FieldIssue[];
}

interface Ready {
  path: string;
  translation: Translation;
  plugin: IdentityProviderPlugin;
  valid: Record<string, unknown>;
}

/** An edgetower config issue (`host`, `scopes.0`) named by the KubeSphere field it came from. */
function kubeSphereField(
  entryPath: string,
  translation: Translation,
  issue: FieldIssue,
): FieldIssue {
  const [head = '', ...rest] = issue.path ? issue.path.split('.') : [];
  const field = head ? [translation.origin[head] ?? head, ...rest].join('.') : '';
  return { path: `${entryPath}.provider${field ? `.${field}` : ''}`, message: issue.message };
}

/**
 * Imports KubeSphere's identity providers (see document.ts for the shapes
 * accepted) all at once or not at all: every entry is translated and
 * validated like a create (config schema, SSRF rule) before anything is
 * written, secrets are sealed as the create route seals them, and the rows
 * are inserted in one batch.
 */
export async function importKubeSphereProviders(
  env: Env,
  db: Database,
  text: string,
  callbackUrl: (name: string) => string,
): Promise<ImportResult> {
  const entries = kubeSphereEntries(text);
  const issues: FieldIssue[] = [];
  const warnings: FieldIssue[] = [];
  const skipped: ImportResult['skipped'] = [];
  const unsupported: string[] = [];
  const ready: Ready[] = [];
  for (const entry of entries) {
    const outcome = translateEntry(entry.value, {
      path: entry.path,
      callbackUrl,
      issues,
      warnings,
    });
    if (outcome.kind === 'unsupported') unsupported.push(outcome.type);
    if (outcome.kind === 'skipped')
      skipped.push({ path: entry.path, name: outcome.name, reason: outcome.reason });
    if (outcome.kind !== 'ok') continue;
    const { translation } = outcome;
    const checked = checkConfig(env, translation.type, translation.config);
    if (!checked.ok) {
      issues.push(...checked.issues.map((i) => kubeSphereField(entry.path, translation, i)));
      continue;
    }
    const twin = ready.find((r) => r.translation.name === translation.name);
    if (twin) {
      issues.push({
        path: `${entry.path}.name`,
        message: `becomes "${translation.name}", like ${twin.path}.name`,
      });
      continue;
    }
    ready.push({ path: entry.path, translation, plugin: checked.plugin, valid: checked.valid });
  }
  if (unsupported.length)
    throw new ApiError(
      400,
      `Unsupported KubeSphere identity provider type${unsupported.length > 1 ? 's' : ''}: ${[...new Set(unsupported)].join(', ')}. Nothing was imported.`,
      { code: 'unsupported_provider_type', fields: issues },
    );
  if (issues.length)
    throw new ApiError(
      400,
      `Invalid KubeSphere identity provider configuration (${issues.length} problem${issues.length > 1 ? 's' : ''}). Nothing was imported.`,
      { code: 'validation_failed', fields: issues },
    );
  if (ready.length === 0)
    throw new ApiError(400, 'Nothing to import: every identity provider is disabled.', {
      code: 'bad_request',
    });
  const taken = new Set(
    await existingProviderNames(
      db,
      ready.map((r) => r.translation.name),
    ),
  );
  if (taken.size)
    throw new ApiError(
      409,
      `Identity provider${taken.size > 1 ? 's' : ''} ${[...taken].map((n) => `"${n}"`).join(', ')} already exist${taken.size > 1 ? '' : 's'}. Nothing was imported.`,
      {
        code: 'conflict',
        fields: ready
          .filter((r) => taken.has(r.translation.name))
          .map((r) => ({ path: `${r.path}.name`, message: `"${r.translation.name}" exists` })),
      },
    );
  const inputs = await Promise.all(
    ready.map(async ({ translation, plugin, valid }) => ({
      name: translation.name,
      type: translation.type,
      displayName: translation.displayName,
      mappingMethod: translation.mappingMethod,
      groupMappings: [],
      ...(await sealChecked(env, plugin, valid)),
    })),
  );
  const imported = await orConflict(
    createIdentityProviders(db, inputs),
    'An identity provider of one of these names already exists.',
  );
  return { imported, skipped, warnings };
}
