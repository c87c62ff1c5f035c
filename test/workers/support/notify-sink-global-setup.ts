import { createServer, type IncomingMessage } from 'node:http';
import { type AddressInfo, createServer as createTcpServer, type Socket } from 'node:net';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Base URL of the loopback HTTP sink the notification tests deliver to. */
    notifySink: string;
    /** Port of the loopback SMTP server (plain, AUTH PLAIN) the email tests deliver to. */
    notifySmtpPort: number;
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

/** What the SMTP server recorded of one message. */
export interface SmtpRecord {
  ehlo: string;
  auth: string | null;
  from: string;
  to: string[];
  data: string;
}

/** A minimal SMTP server (RFC 5321 happy path with AUTH PLAIN), enough to check what the edge sends. */
function smtpConversation(socket: Socket, mail: SmtpRecord[]) {
  let buffer = '';
  let inData = false;
  let current: SmtpRecord = { ehlo: '', auth: null, from: '', to: [], data: '' };
  const reply = (line: string) => socket.write(`${line}\r\n`);
  reply('220 sink.test ESMTP');
  socket.on('data', (chunk) => {
    buffer += chunk.toString('utf8');
    let newline = buffer.indexOf('\r\n');
    while (newline >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 2);
      if (inData) {
        if (line === '.') {
          inData = false;
          mail.push(current);
          current = { ...current, from: '', to: [], data: '' };
          reply('250 2.0.0 queued');
        } else current.data += `${line.startsWith('..') ? line.slice(1) : line}\r\n`;
      } else {
        const verb = line.split(' ')[0]?.toUpperCase();
        if (verb === 'EHLO') {
          current.ehlo = line.slice(5);
          reply('250-sink.test');
          reply('250 AUTH PLAIN');
        } else if (verb === 'AUTH') {
          current.auth = line.slice(11);
          reply('235 2.7.0 ok');
        } else if (verb === 'MAIL') {
          current.from = /<(.*)>/.exec(line)?.[1] ?? '';
          reply('250 ok');
        } else if (verb === 'RCPT') {
          current.to.push(/<(.*)>/.exec(line)?.[1] ?? '');
          reply('250 ok');
        } else if (verb === 'DATA') {
          inData = true;
          reply('354 go ahead');
        } else if (verb === 'QUIT') {
          reply('221 bye');
          socket.end();
        } else reply('502 not implemented');
      }
      newline = buffer.indexOf('\r\n');
    }
  });
  socket.on('error', () => undefined);
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
 * DingTalk/WeCom-style error code, `/flaky/<percent>/` fail at random,
 * `/redirect/` answer 302 to the `to` query parameter (after recording),
 * `/answer/<status>/<base64url JSON>/` answer that status with that JSON
 * (after recording): a provider's refusal, shaped as the test needs.
 * WeCom app: `/cgi-bin/gettoken` issues `<corpid>-<n>` (the n-th token of
 * that corp); `message/send` with the first token of a corp named `stale…`
 * answers errcode 42001 (expired), as WeCom does once a token lapsed.
 */
export default async function setup(project: TestProject) {
  const records: SinkRecord[] = [];
  const mail: SmtpRecord[] = [];
  const tokensIssued = new Map<string, number>();
  const smtp = createTcpServer((socket) => smtpConversation(socket, mail));
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  project.provide('notifySmtpPort', (smtp.address() as AddressInfo).port);
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://sink');
    if (url.pathname === '/__mail') {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(mail));
      return;
    }
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
    const answer = /\/answer\/(\d{3})\/([A-Za-z0-9_-]+)\//.exec(url.pathname);
    if (answer) {
      res.statusCode = Number(answer[1]);
      res.setHeader('content-type', 'application/json');
      res.end(Buffer.from(answer[2] ?? '', 'base64url').toString('utf8'));
      return;
    }
    if (url.pathname.includes('/redirect/')) {
      res.statusCode = 302;
      res.setHeader('location', url.searchParams.get('to') ?? '/');
      res.end();
      return;
    }
    res.setHeader('content-type', 'application/json');
    if (url.pathname.endsWith('/cgi-bin/gettoken')) {
      const corp = url.searchParams.get('corpid') ?? '';
      const n = (tokensIssued.get(corp) ?? 0) + 1;
      tokensIssued.set(corp, n);
      res.end(
        JSON.stringify({
          errcode: 0,
          errmsg: 'ok',
          access_token: `${corp}-${n}`,
          expires_in: 7200,
        }),
      );
      return;
    }
    if (/^stale.*-1$/.test(url.searchParams.get('access_token') ?? '')) {
      res.end(JSON.stringify({ errcode: 42001, errmsg: 'access_token expired' }));
      return;
    }
    res.end(
      url.pathname.includes('/errcode/')
        ? JSON.stringify({ errcode: 310000, errmsg: 'sign not match' })
        : JSON.stringify({ ok: true, errcode: 0, errmsg: 'ok', code: 0 }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  project.provide('notifySink', `http://127.0.0.1:${port}`);
  return async () => {
    await new Promise<void>((resolve) => smtp.close(() => resolve()));
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
}
