/**
 * The edge as `wrangler dev` runs it (same ProxyWorker, workerd, local D1,
 * Durable Objects and Queues), but without the DevTools inspector. The
 * inspector that `wrangler dev` always attaches turns on the runtime's
 * Network domain: every subrequest — each D1 query, each outbound fetch —
 * becomes DevTools events that wrangler relays and writes to its debug log,
 * a per-subrequest cost that no deployed worker pays. Benchmarks run here.
 *
 *   tsx test/support/edge-server.ts --port N --persist-to DIR [--var NAME:VALUE]... [--config wrangler.toml]
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { unstable_startWorker } from 'wrangler';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    'persist-to': { type: 'string' },
    var: { type: 'string', multiple: true, default: [] },
    config: { type: 'string', default: path.resolve(import.meta.dirname, '../../wrangler.toml') },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help || !values.port || !values['persist-to']) {
  console.log(
    'Usage: tsx test/support/edge-server.ts --port N --persist-to DIR [--var NAME:VALUE]...',
  );
  process.exit(values.help ? 0 : 2);
}

const bindings = Object.fromEntries(
  values.var.map((pair) => {
    const at = pair.indexOf(':');
    return [pair.slice(0, at), { type: 'plain_text' as const, value: pair.slice(at + 1) }];
  }),
);
const worker = await unstable_startWorker({
  config: values.config,
  // Node built-ins named without `node:` (subtls's `import("crypto")`) resolve
  // as under `wrangler dev`, which detects this mode from the flags itself.
  build: { nodejsCompatMode: 'v2' },
  bindings,
  dev: {
    server: { hostname: '127.0.0.1', port: Number(values.port) },
    inspector: false,
    persist: values['persist-to'],
    remote: false,
    watch: false,
    logLevel: 'warn',
  },
});
await worker.ready;
console.log(`Ready on ${(await worker.url).href}`);
const stop = async () => {
  await worker.dispose();
  process.exit(0);
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
