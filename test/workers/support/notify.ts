import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { inject } from 'vitest';
import worker from '../../../functions/index';
import type { SinkRecord } from './notify-sink-global-setup';

/** The worker's env with private webhook targets allowed (the loopback sink), as `npm run dev` has it. */
export const devEnv = () => ({ ...env, ALLOW_PRIVATE_WEBHOOKS: 'true' });

/** A JSON API call against the worker with `workerEnv` (default: private targets allowed). */
export async function apiWith(
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: unknown,
  workerEnv: Cloudflare.Env = devEnv(),
): Promise<{ status: number; body: unknown }> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(
    new Request(`https://edge.test${path}`, {
      method,
      headers,
      ...(body === undefined
        ? {}
        : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    }),
    workerEnv,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as unknown) : null };
}

export const sinkUrl = (path: string) => `${inject('notifySink')}${path}`;

/** What the loopback sink received under `prefix`. */
export async function sinkRecords(prefix: string): Promise<SinkRecord[]> {
  const res = await fetch(`${inject('notifySink')}/__records?prefix=${encodeURIComponent(prefix)}`);
  return (await res.json()) as SinkRecord[];
}

/** A unique path prefix per test so records never mix. */
let seq = 0;
export const uniquePrefix = (name: string) => `/${name}-${Date.now().toString(36)}-${seq++}`;
