import { listOfApp } from './app-objects';
import type { AppRecord } from './app-record';
import { truncate } from './app-record';
import { refOf } from './objects';
import type { PassContext } from './pass-context';

/**
 * Deletes the app's objects (found by its label), looking again until none
 * is left: `deleted` then, which the next report confirms to the edge.
 */
export async function deletePass(ctx: PassContext, record: AppRecord): Promise<void> {
  // Delete what is there, then look once more at once (most objects go immediately).
  let round = await deleteRound(ctx, record);
  if (round.remaining > 0 && round.issued > 0 && !round.refusal)
    round = await deleteRound(ctx, record);
  const { remaining, refusal } = round;
  if (remaining === 0) {
    record.phase = 'deleted';
    record.message = undefined;
    ctx.log.info('app deleted', { appId: record.appId });
    return;
  }
  // Finalizers or a refusal: look again until nothing is left.
  record.message = refusal ? truncate(refusal, 2048) : `${remaining} objects still being deleted`;
  const wait = refusal ? 30_000 : 500;
  record.retry = setTimeout(() => ctx.rerun(record), wait);
  record.retry.unref?.();
}

/** Deletes every object of the app not already going; counts what is still there. */
async function deleteRound(
  ctx: PassContext,
  record: AppRecord,
): Promise<{ remaining: number; issued: number; refusal?: string }> {
  let remaining = 0;
  let issued = 0;
  let refusal: string | undefined;
  for (const [apiVersion, kind] of ctx.sources.scanKinds(record)) {
    const items = await listOfApp(ctx.api, ctx.log, record, apiVersion, kind);
    for (const item of items) {
      remaining++;
      if ((item.metadata as { deletionTimestamp?: string }).deletionTimestamp) continue;
      const result = await ctx.api.remove(refOf(item, record.namespace), record.identity);
      if (!result.ok && !result.refused) throw new Error(result.message);
      if (!result.ok) refusal = result.message;
      else issued++;
    }
  }
  return { remaining, issued, ...(refusal ? { refusal } : {}) };
}
