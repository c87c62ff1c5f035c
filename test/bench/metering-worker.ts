/**
 * The edge worker for `npm run bench -- metering`, plus one bench-only
 * route that hands batches straight to a cluster's MeteringStore, so the
 * ingestion figure is the store's (RPC into the object, the transaction,
 * the SQLite writes) without a tunnel in front. Everything else is the real
 * app: the bill is measured through its public route.
 */

import type { Env } from '../../functions/env';
import worker from '../../functions/index';
import { meteringStoreOf } from '../../functions/metering/store-names';
import type { MeteringPayload } from '../../protocol/metering-samples';

export * from '../../functions/index';

interface IngestRequest {
  cluster: string;
  agent: string;
  batches: { seq: number; payload: MeteringPayload }[];
  retention?: { rawDays: number; hourlyDays: number; dailyDays: number };
}

export default {
  ...worker,
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    const path = new URL(request.url).pathname;
    if (path === '/__bench/predate-tenancy') {
      // The bill's facts lie days back; a workspace's series count from its creation on.
      await env.DB.batch([
        env.DB.prepare('UPDATE workspaces SET created_at = 0'),
        env.DB.prepare('UPDATE namespaces SET created_at = 0'),
      ]);
      return new Response(null, { status: 204 });
    }
    if (path !== '/__bench/ingest') return worker.fetch(request, env, ctx);
    const body = (await request.json()) as IngestRequest;
    // A registered cluster's store is keyed by its id; the ingestion figure's cluster is not registered.
    const registered = await env.DB.prepare('SELECT id FROM clusters WHERE name = ?')
      .bind(body.cluster)
      .first<{ id: string }>();
    const store = registered
      ? meteringStoreOf(env, registered.id)
      : env.METERING_STORE.getByName(`bench:${body.cluster}`);
    if (body.retention) await store.setRetention(body.retention);
    // Workers clocks advance across I/O: this spans the RPC calls, not the JSON parse above.
    const started = Date.now();
    let duplicates = 0;
    for (const b of body.batches)
      if ((await store.ingest(body.agent, b.seq, b.payload)).duplicate) duplicates++;
    return Response.json({ ms: Date.now() - started, duplicates });
  },
} satisfies ExportedHandler<Env>;
