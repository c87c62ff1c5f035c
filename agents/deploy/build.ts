import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { build, type Plugin } from 'esbuild';

/**
 * Bundles the agent into one ES module for the image (the Dockerfile and the
 * memory benchmark run this):  npx tsx agents/deploy/build.ts [outfile]
 *
 * The agent uses client-node only for KubeConfig (loading, auth, TLS). But
 * KubeConfig's module imports the generated API clients and models for
 * `makeApiClient`, which alone add ~65 MiB of RSS, as much as the agent's
 * whole budget at 1,000 pods. The bundle swaps that one import for a stub;
 * calling `makeApiClient` in the bundle throws.
 */
const GENERATED_CLIENTS = /[\\/]@kubernetes[\\/]client-node[\\/]dist[\\/]gen[\\/]index\.js$/;

const STUB = `
const unavailable = () => { throw new Error('generated API clients are not bundled in the edgetower agent'); };
export class ServerConfiguration { constructor() { unavailable(); } }
export const createConfiguration = unavailable;
`;

const withoutGeneratedClients: Plugin = {
  name: 'without-generated-clients',
  setup(b) {
    b.onResolve({ filter: /\/gen\/index\.js$/ }, async (args) => {
      const resolved = join(args.resolveDir, args.path);
      return GENERATED_CLIENTS.test(resolved)
        ? { path: resolved, namespace: 'gen-stub' }
        : undefined;
    });
    b.onLoad({ filter: /.*/, namespace: 'gen-stub' }, () => ({ contents: STUB, loader: 'js' }));
    // config.js takes only Headers from node-fetch v2 (whose URL parser drags in
    // ~400 KiB of Unicode tables); Node 20 has a global Headers.
    b.onResolve({ filter: /^node-fetch$/ }, (args) =>
      /client-node[\\/]dist[\\/]config\.js$/.test(args.importer)
        ? { path: 'node-fetch', namespace: 'fetch-shim' }
        : undefined,
    );
    // Looked up on first use only: merely reading globalThis.Headers loads
    // Node's whole fetch implementation (undici and its WebAssembly parser),
    // +13 MiB of RSS, and the agent never fetches.
    b.onLoad({ filter: /.*/, namespace: 'fetch-shim' }, () => ({
      contents:
        'export class Headers { constructor(init) { return new globalThis.Headers(init); } }',
      loader: 'js',
    }));
  },
};

/**
 * Node flags the image runs the agent with (the Dockerfile's CMD; a test
 * keeps them in step). The agent's garbage is list-page and watch-event JSON:
 * a 1 MiB young generation and a capped old generation make V8 collect it
 * instead of growing the heap (at 150,000 pods the live heap is ~50 MiB, so
 * 160 MiB leaves 3x headroom); `--single-threaded` drops V8's helper threads
 * and their memory (GC and compilation run on the main thread, which the
 * sync time at 150,000 pods did not notice). Figures in docs/benchmarks.md.
 */
export const AGENT_NODE_FLAGS: readonly string[] = [
  '--max-semi-space-size=1',
  '--max-old-space-size=160',
  '--single-threaded',
];

/**
 * Environment the image sets (Dockerfile ENV): one glibc malloc arena and
 * fixed trim/mmap thresholds, so freed native memory goes back to the OS.
 */
export const AGENT_ENV: Readonly<Record<string, string>> = {
  MALLOC_ARENA_MAX: '1',
  MALLOC_TRIM_THRESHOLD_: '131072',
  MALLOC_MMAP_THRESHOLD_: '131072',
};

export async function buildAgent(outfile: string): Promise<void> {
  mkdirSync(dirname(outfile), { recursive: true });
  await build({
    entryPoints: [join(import.meta.dirname, '../main.ts')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    outfile,
    legalComments: 'none',
    // Whitespace and syntax only (names stay, so stack traces read), and
    // ASCII only: one non-ASCII character in a kept comment made V8 hold the
    // whole 1.5 MB source as a two-byte string (2.9 MiB of heap).
    minifyWhitespace: true,
    minifySyntax: true,
    charset: 'ascii',
    logLevel: 'warning',
    plugins: [withoutGeneratedClients],
    // Some CommonJS dependencies call require(); give ESM one.
    banner: {
      js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
    },
  });
}

if (process.argv[1]?.endsWith('build.ts')) {
  await buildAgent(process.argv[2] ?? 'dist/agent.mjs');
}
