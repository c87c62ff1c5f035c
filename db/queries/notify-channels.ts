import { and, asc, eq, inArray } from 'drizzle-orm';
import type { Database } from '../client';
import { notificationChannels } from '../schema';
import type { ChannelType } from '../schema/notification-channels';

export type ChannelRow = typeof notificationChannels.$inferSelect;

export async function insertChannel(
  db: Database,
  input: {
    owner: string;
    name: string;
    type: ChannelType;
    settings: Record<string, unknown>;
    secrets: string;
    createdBy: string;
  },
): Promise<ChannelRow | undefined> {
  const [row] = await db
    .insert(notificationChannels)
    .values(input)
    .onConflictDoNothing()
    .returning();
  return row;
}

export async function updateChannel(
  db: Database,
  id: string,
  input: { settings: Record<string, unknown>; secrets: string },
): Promise<void> {
  await db
    .update(notificationChannels)
    .set({ ...input, updatedAt: new Date() })
    .where(eq(notificationChannels.id, id));
}

export async function findChannel(db: Database, id: string): Promise<ChannelRow | undefined> {
  return db.select().from(notificationChannels).where(eq(notificationChannels.id, id)).get();
}

export async function channelsByName(
  db: Database,
  owner: string,
  names: string[],
): Promise<ChannelRow[]> {
  if (!names.length) return [];
  return db
    .select()
    .from(notificationChannels)
    .where(and(eq(notificationChannels.owner, owner), inArray(notificationChannels.name, names)));
}

export async function allChannels(db: Database): Promise<ChannelRow[]> {
  return db
    .select()
    .from(notificationChannels)
    .orderBy(asc(notificationChannels.name), asc(notificationChannels.id));
}

export async function deleteChannel(db: Database, id: string): Promise<void> {
  await db.delete(notificationChannels).where(eq(notificationChannels.id, id));
}
