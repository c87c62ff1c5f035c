import { sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { createdAt, id, timestamp } from './columns';
import type { LabelMatcher } from './notification-receivers';

/**
 * Alertmanager inhibition rules, platform-wide: while an alert matching
 * `sourceMatchers` fires, alerts matching `targetMatchers` with the same
 * values of the `equal` labels are muted. With no row stored the built-in
 * default applies (critical mutes warning, equal alertname and namespace).
 */
export const alertInhibitRules = sqliteTable(
  'alert_inhibit_rules',
  {
    id: id(),
    name: text().notNull(),
    sourceMatchers: text({ mode: 'json' }).$type<LabelMatcher[]>().notNull(),
    targetMatchers: text({ mode: 'json' }).$type<LabelMatcher[]>().notNull(),
    equal: text({ mode: 'json' }).$type<string[]>().notNull().default([]),
    createdBy: text(),
    createdAt: createdAt(),
    updatedAt: timestamp().notNull(),
  },
  (t) => [uniqueIndex('alert_inhibit_rules_name_idx').on(t.name)],
);
