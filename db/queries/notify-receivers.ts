import { eq } from 'drizzle-orm';
import type { Database } from '../client';
import { notificationReceivers } from '../schema';
import type { LabelMatcher } from '../schema/notification-receivers';

export type ReceiverInput = {
  owner: string;
  name: string;
  channelIds: string[];
  matchers: LabelMatcher[];
  groupBy: string[];
  groupWaitSeconds: number;
  groupIntervalSeconds: number;
  repeatIntervalSeconds: number;
  sendResolved: boolean;
  createdBy: string;
};

export async function insertReceiver(db: Database, input: ReceiverInput) {
  const [row] = await db
    .insert(notificationReceivers)
    .values(input)
    .onConflictDoNothing()
    .returning();
  return row;
}

export async function findReceiver(db: Database, id: string) {
  return db.select().from(notificationReceivers).where(eq(notificationReceivers.id, id)).get();
}

export async function deleteReceiver(db: Database, id: string): Promise<void> {
  await db.delete(notificationReceivers).where(eq(notificationReceivers.id, id));
}
