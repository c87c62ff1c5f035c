/**
 * The edge worker for `npm run bench -- metering`, plus one bench-only
 * route that hands batches straight to a cluster's MeteringStore, so the
 * ingestion figure is the store's (RPC into the object, the transaction,
 * the SQLite writes) without a tunnel in front. Everything else is the real
 * app: the bill is measured through its public route.
 */

import type { Env } from '../../functions/env';
import worker from '../../functions/index';
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
    if (new URL(request.url).pathname !== '/__bench/ingest') return worker.fetch(request, env, ctx);
    const body = (await request.json()) as IngestRequest;
    const store = env.METERING_STORE.getByName(`cluster:${body.cluster}`);
    if (body.retention) await store.setRetention(body.retention);
    // Workers clocks advance across I/O: this spans the RPC calls, not the JSON parse above.
    const started = Date.now();
    let duplicates = 0;
    for (const b of body.batches)
      if ((await store.ingest(body.agent, b.seq, b.payload)).duplicate) duplicates++;
    return Response.json({ ms: Date.now() - started, duplicates });
  },
} satisfies ExportedHandler<Env>;
