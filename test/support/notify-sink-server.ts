/**
 * A loopback notification sink in its own process (so the bench's load
 * generator does not share an event loop with it, as a real receiver would
 * not). Prints `{"port":N}` once listening, then one JSON line per request:
 * `{"at","path","key","groupKey"}` for a success, `{"refused":true}` for a
 * refusal. Under a path containing `/flaky/` it fails 30% of requests at
 * random (503) before reading them.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const flakyShare = 0.3;
const out: string[] = [];
// Lines are written in small bursts, not one write per request.
const flushOut = () => {
  if (out.length === 0) return;
  process.stdout.write(`${out.join('\n')}\n`);
  out.length = 0;
};
setInterval(flushOut, 50).unref();

/**
 * The Alertmanager payload's groupKey, read from the front of the body (it
 * is the second field) rather than by parsing tens of KB of JSON per
 * request: this process shares the machine's two cores with the edge.
 */
function groupKeyOf(body: string): string {
  const match = /"groupKey":("(?:[^"\\]|\\.)*")/.exec(body.slice(0, 4096));
  if (match?.[1]) return JSON.parse(match[1]) as string;
  return (JSON.parse(body) as { groupKey: string }).groupKey;
}

const server = createServer((req, res) => {
  const path = req.url ?? '/';
  if (path.includes('/flaky/') && Math.random() < flakyShare) {
    out.push('{"refused":true}');
    req.resume();
    res.statusCode = 503;
    res.end('try again');
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    out.push(
      JSON.stringify({
        at: Date.now(),
        path,
        key: String(req.headers['idempotency-key']),
        groupKey: groupKeyOf(Buffer.concat(chunks).toString('utf8')),
      }),
    );
    res.end('ok');
  });
});
server.keepAliveTimeout = 30_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
});
process.on('SIGTERM', () => {
  flushOut();
  server.close(() => process.exit(0));
});
