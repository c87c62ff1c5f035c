import type { Database } from '../client';
import { auditEvents } from '../schema';

export type AuditEventInput = typeof auditEvents.$inferInsert;

/** The audit row's insert, unexecuted, for a caller that batches it with the writes it records. */
export const auditEventInsert = (db: Database, event: AuditEventInput) =>
  db.insert(auditEvents).values(event);

export async function recordAuditEvent(db: Database, event: AuditEventInput): Promise<void> {
  await auditEventInsert(db, event);
}
