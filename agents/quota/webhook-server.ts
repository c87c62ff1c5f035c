import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { HostPort } from '../config';
import type { Logger } from '../log';
import type { Decision, QuotaLedger } from './ledger';
import { podDemand, unspecifiedResources } from './pod-demand';

export const WEBHOOK_PATH = '/validate-pods';
const MAX_REVIEW_BYTES = 3 * 1024 * 1024;

interface AdmissionRequest {
  uid?: string;
  operation?: string;
  namespace?: string;
  name?: string;
  kind?: { kind?: string };
  dryRun?: boolean;
  object?: { metadata?: { name?: string; generateName?: string; uid?: string }; spec?: unknown };
}

export interface WebhookServer {
  port: number;
  /** How long each decision took (ms), newest last, bounded: the bench reads it. */
  decisionsMs: number[];
  close(): Promise<void>;
}

function review(uid: string, decision: Decision) {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    response: decision.allowed
      ? { uid, allowed: true }
      : {
          uid,
          allowed: false,
          status: { code: 403, reason: 'Forbidden', message: decision.message },
        },
  };
}

async function readBody(req: import('node:http').IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_REVIEW_BYTES) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString();
}

/**
 * The validating admission webhook, served over HTTPS by every replica:
 * pod CREATE in a namespace of a workspace with a quota is refused when the
 * workspace would go over its cap, fleet-wide.
 */
export async function startWebhookServer(options: {
  listen: HostPort;
  tls: { cert: string; key: string };
  /**
   * PEM CA(s) the caller's client certificate must chain to: with it, the TLS
   * handshake fails for anyone who is not the API server (configured to
   * present such a certificate), before a byte of a review is read.
   */
  clientCa?: string;
  ledger: QuotaLedger;
  log: Logger;
}): Promise<WebhookServer> {
  const { ledger, log } = options;
  const decisionsMs: number[] = [];
  const tls: https.ServerOptions = options.clientCa
    ? { ...options.tls, ca: options.clientCa, requestCert: true, rejectUnauthorized: true }
    : options.tls;
  const server = https.createServer(tls, (req, res) => {
    void (async () => {
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (req.method !== 'POST' || req.url?.split('?')[0] !== WEBHOOK_PATH)
        return reply(404, { message: `POST ${WEBHOOK_PATH} only` });
      const text = await readBody(req);
      let request: AdmissionRequest | undefined;
      try {
        request =
          text === undefined
            ? undefined
            : (JSON.parse(text) as { request?: AdmissionRequest }).request;
      } catch {
        request = undefined;
      }
      if (!request?.uid)
        return reply(400, { message: 'expected an AdmissionReview v1 with a request' });
      const started = performance.now();
      // The configuration only sends pod CREATE; anything else is not ours to judge.
      const decision: Decision =
        request.operation === 'CREATE' && request.kind?.kind === 'Pod' && request.namespace
          ? await ledger.decide(
              request.namespace,
              {
                name: request.name || request.object?.metadata?.name || '',
                uid:
                  typeof request.object?.metadata?.uid === 'string'
                    ? request.object.metadata.uid
                    : undefined,
                dryRun: request.dryRun === true,
              },
              podDemand(request.object?.spec),
              unspecifiedResources(request.object?.spec),
            )
          : { allowed: true };
      decisionsMs.push(performance.now() - started);
      if (decisionsMs.length > 100_000) decisionsMs.splice(0, decisionsMs.length - 100_000);
      if (!decision.allowed)
        log.info('pod refused by workspace quota', {
          namespace: request.namespace,
          name: request.name || request.object?.metadata?.generateName,
          resources: decision.resources,
        });
      reply(200, review(request.uid, decision));
    })().catch((error: unknown) => {
      log.error('admission review failed', { error });
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.listen.port, options.listen.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    decisionsMs,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
