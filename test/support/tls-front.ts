import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { requirePeer } from './peers';

export interface TlsFront {
  url: string;
  close(): Promise<void>;
}

/**
 * A TLS-terminating pass-through in front of a local http server (what
 * Cloudflare's edge is to a deployed worker), with a throwaway self-signed
 * certificate: clients such as kubectl send bearer tokens only over TLS.
 */
export async function startTlsFront(target: string, dir: string): Promise<TlsFront> {
  const key = path.join(dir, 'front.key');
  const cert = path.join(dir, 'front.crt');
  await promisify(execFile)(requirePeer('openssl'), [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    key,
    '-out',
    cert,
    '-days',
    '1',
    '-subj',
    '/CN=127.0.0.1',
  ]);
  const upstream = new URL(target);
  const agent = new http.Agent({ keepAlive: true });
  const server = https.createServer(
    { key: await readFile(key), cert: await readFile(cert) },
    (req, res) => {
      const forward = http.request(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: upstream.host },
          agent,
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      forward.on('error', () => res.destroy());
      res.on('close', () => forward.destroy());
      req.pipe(forward);
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        agent.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
