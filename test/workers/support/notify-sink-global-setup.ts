import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Base URL of the loopback HTTP sink the notification tests deliver to. */
    notifySink: string;
  }
}

/** What the sink recorded of one request. */
export interface SinkRecord {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: string;
}

const readBody = (req: IncomingMessage) =>
  new Promise<string>((resolve) => {
    let data = '';
    req.on('data', (chunk) => {
      data += chunk;
    });
    req.on('end', () => resolve(data));
  });

/**
 * A loopback HTTP receiver for channel contract tests (workerd cannot
 * listen): records every request; `/__records?prefix=` returns them.
 * Paths containing `/fail/` answer 500, `/errcode/` answer 200 with a
 * DingTalk/WeCom-style error code, `/flaky/<percent>/` fail at random.
 */
export default async function setup(project: TestProject) {
  const records: SinkRecord[] = [];
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://sink');
    if (url.pathname === '/__records') {
      const prefix = url.searchParams.get('prefix') ?? '/';
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(records.filter((r) => r.path.startsWith(prefix))));
      return;
    }
    const body = await readBody(req);
    const flaky = /\/flaky\/(\d+)\//.exec(url.pathname);
    if (url.pathname.includes('/fail/') || (flaky && Math.random() * 100 < Number(flaky[1]))) {
      res.statusCode = 500;
      res.end('sink failure');
      return;
    }
    records.push({
      method: req.method ?? '',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)])),
      body,
    });
    res.setHeader('content-type', 'application/json');
    res.end(
      url.pathname.includes('/errcode/')
        ? JSON.stringify({ errcode: 310000, errmsg: 'sign not match' })
        : JSON.stringify({ ok: true, errcode: 0, errmsg: 'ok', code: 0 }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  project.provide('notifySink', `http://127.0.0.1:${port}`);
  return () => new Promise<void>((resolve) => server.close(() => resolve()));
}
