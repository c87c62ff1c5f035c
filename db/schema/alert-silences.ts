import { index, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { createdAt, timestamp } from './columns';
import type { LabelMatcher } from './notification-receivers';

/** Alertmanager-style silences; expired ones are kept for history. */
export const alertSilences = sqliteTable(
  'alert_silences',
  {
    id: text().primaryKey(),
    matchers: text({ mode: 'json' }).$type<LabelMatcher[]>().notNull(),
    startsAt: timestamp().notNull(),
    endsAt: timestamp().notNull(),
    createdBy: text().notNull(),
    comment: text().notNull(),
    /** The user who created or last changed it (createdBy is free text, as in Alertmanager). */
    author: text(),
    createdAt: createdAt(),
    updatedAt: timestamp().notNull(),
  },
  (t) => [index('alert_silences_ends_idx').on(t.endsAt)],
);
