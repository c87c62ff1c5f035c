/**
 * Issue 2's numbers: an authenticated `GET /api/v1/workspaces` against
 * `wrangler dev` at concurrency 32, next to an unauthenticated
 * `GET /healthz` in the same run (targets: >= 50% of healthz throughput,
 * p99 <= 25 ms), and the median time of one access-token verification
 * (target <= 0.5 ms).
 */
import { removeState, startWranglerDev } from '../support/wrangler-dev';
import { benchEdge, printTable, runLoad } from './load';
import { loginAsAdmin } from './login';
import { measureTokenVerification } from './token-verify';

const concurrency = 32;
const durationMs = Number(process.env.BENCH_SECONDS ?? 10) * 1000;

const edge = await startWranglerDev(benchEdge);
try {
  console.log(
    `edge at ${edge.url}; ${concurrency} concurrent clients, ${durationMs / 1000} s per route`,
  );
  const token = await loginAsAdmin(edge.url);
  const auth = { authorization: `Bearer ${token}` };
  for (let i = 0; i < 20; i++) {
    await fetch(`${edge.url}/api/v1/workspaces`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ name: `bench-${i}` }),
    });
  }

  const health = await runLoad('GET /healthz (no auth)', () => fetch(`${edge.url}/healthz`), {
    concurrency,
    durationMs,
  });
  const workspaces = await runLoad(
    'GET /api/v1/workspaces (JWT)',
    () => fetch(`${edge.url}/api/v1/workspaces`, { headers: auth }),
    { concurrency, durationMs },
  );
  printTable(
    [health, workspaces].map((r) => ({
      route: r.label,
      requests: r.requests,
      errors: r.errors,
      'req/s': r.rps,
      'p50 ms': r.p50,
      'p90 ms': r.p90,
      'p99 ms': r.p99,
    })),
  );
  const ratio = workspaces.rps / health.rps;
  console.log(`\nauthenticated/healthz throughput: ${(ratio * 100).toFixed(1)}% (target >= 50%)`);
  console.log(`authenticated p99: ${workspaces.p99.toFixed(2)} ms (target <= 25 ms)`);

  const verify = await measureTokenVerification(token, `${edge.url}`);
  printTable([
    {
      measure: 'access token verification (ES256, cached key)',
      runs: verify.runs,
      'median ms': verify.medianMs,
      'p99 ms': verify.p99Ms,
    },
  ]);
  console.log(`token verification median: ${verify.medianMs.toFixed(3)} ms (target <= 0.5 ms)`);
} finally {
  await edge.stop();
  await removeState(edge);
}
