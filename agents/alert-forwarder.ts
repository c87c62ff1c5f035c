import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HostPort } from './config';
import type { Logger } from './log';

export const ALERTS_KIND = 'alerts';
/** Bigger than any sane group of alerts, well under a tunnel frame (16 MiB). */
export const MAX_ALERT_BODY_BYTES = 4 * 1024 * 1024;

export interface AlertForwarderOptions {
  listen: HostPort;
  /** Spools the payload durably; the webhook is answered 200 only once it resolved. */
  submit: (payload: unknown) => Promise<unknown>;
  log: Logger;
  maxBodyBytes?: number;
}

export interface AlertForwarder {
  port: number;
  close(): Promise<void>;
}

class BadRequest extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) return reject(new BadRequest(413, `body larger than ${limit} bytes`));
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      if (tooLarge) return; // drained and dropped, so the 413 still reaches the sender
      size += chunk.length;
      if (size > limit) {
        tooLarge = true;
        chunks.length = 0;
        reject(new BadRequest(413, `body larger than ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The shape check the agent can do without the edge's schema: a webhook v4
 * envelope whose alerts have label sets. The edge validates every field
 * (functions/alerting/intake-schema.ts) when the batch arrives.
 */
export function checkWebhookPayload(payload: unknown): string | undefined {
  if (!isRecord(payload)) return 'expected an Alertmanager webhook payload (a JSON object)';
  if (payload.version !== '4') return 'expected an Alertmanager webhook payload with version "4"';
  if (!Array.isArray(payload.alerts)) return '"alerts" must be an array';
  const bad = payload.alerts.findIndex((a) => !isRecord(a) || !isRecord(a.labels));
  if (bad !== -1) return `alerts[${bad}] has no "labels" object`;
  return undefined;
}

function reply(res: ServerResponse, status: number, body: Record<string, unknown>): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/**
 * Receives an in-cluster Alertmanager's webhook (`webhook_configs: url:
 * http://<agent>:<port>/alerts`), spools each payload (kind "alerts") and
 * lets the batch sender carry it to the edge through the tunnel: nothing is
 * lost across edge outages or agent restarts. Alertmanager retries whatever
 * is not answered 200, so 200 means "on disk".
 */
export async function startAlertForwarder(options: AlertForwarderOptions): Promise<AlertForwarder> {
  const limit = options.maxBodyBytes ?? MAX_ALERT_BODY_BYTES;
  const server: Server = createServer((req, res) => {
    void (async () => {
      const path = (req.url ?? '/').split('?')[0];
      if (path !== '/' && path !== '/alerts' && path !== '/api/v2/alerts')
        return reply(res, 404, { code: 'not_found', message: `no route ${path}` });
      if (req.method !== 'POST') {
        res.setHeader('allow', 'POST');
        return reply(res, 405, { code: 'method_not_allowed', message: 'POST the webhook payload' });
      }
      const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
      if (type !== 'application/json')
        return reply(res, 415, {
          code: 'unsupported_media_type',
          message: 'send application/json',
        });
      let payload: unknown;
      try {
        payload = JSON.parse((await readBody(req, limit)).toString('utf8'));
      } catch (error) {
        if (error instanceof BadRequest)
          return reply(res, error.status, { code: 'too_large', message: error.message });
        return reply(res, 400, { code: 'malformed', message: 'body is not JSON' });
      }
      const problem = checkWebhookPayload(payload);
      if (problem) return reply(res, 400, { code: 'invalid', message: problem });
      try {
        await options.submit(payload);
      } catch (error) {
        options.log.error('cannot spool alerts', { error: String(error) });
        return reply(res, 503, { code: 'unavailable', message: 'could not store the alerts' });
      }
      const alerts = (payload as { alerts: unknown[] }).alerts.length;
      options.log.debug('alerts spooled', { alerts });
      reply(res, 200, { status: 'success', alerts });
    })().catch((error: unknown) => {
      options.log.error('alert webhook failed', { error: String(error) });
      if (!res.headersSent) reply(res, 500, { code: 'internal', message: 'internal error' });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.listen.port, options.listen.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
