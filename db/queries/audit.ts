import type { Database } from '../client';
import { auditEvents } from '../schema';

export type AuditEventInput = typeof auditEvents.$inferInsert;

export async function recordAuditEvent(db: Database, event: AuditEventInput): Promise<void> {
  await db.insert(auditEvents).values(event);
}
