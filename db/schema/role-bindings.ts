import { index, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { createdAt, id } from './columns';

export const scopeTypes = ['cluster', 'workspace', 'namespace'] as const;
export type ScopeType = (typeof scopeTypes)[number];
export const subjectTypes = ['user', 'group'] as const;
export type SubjectType = (typeof subjectTypes)[number];

/**
 * A role granted to a user or group at one cluster, workspace or namespace.
 * Platform roles live on the user row. `scopeId` and `subjectId` point into
 * the table their type names; the queries that delete a scope or subject
 * delete its bindings in the same batch.
 */
export const roleBindings = sqliteTable(
  'role_bindings',
  {
    id: id(),
    scopeType: text({ enum: scopeTypes }).notNull(),
    scopeId: text().notNull(),
    subjectType: text({ enum: subjectTypes }).notNull(),
    subjectId: text().notNull(),
    role: text().notNull(),
    createdBy: text(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('role_bindings_scope_subject_idx').on(
      t.scopeType,
      t.scopeId,
      t.subjectType,
      t.subjectId,
    ),
    index('role_bindings_subject_idx').on(t.subjectType, t.subjectId),
  ],
);
