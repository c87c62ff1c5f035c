import { proxyThroughTunnel } from '../clusters/tunnel-stub';
import type { Env } from '../env';
import { ApiError } from '../errors';

/** Prometheus answers bigger than this are refused (a dashboard draws a few lines). */
const MAX_ANSWER_BYTES = 2 * 1024 * 1024;

export type PromAnswer<T> = { ok: true; data: T } | { ok: false; code: string; message: string };

/** A body read up to `limit` bytes; undefined when it is longer. */
export async function readCapped(response: Response, limit: number): Promise<string | undefined> {
  const reader = response.body?.getReader();
  if (!reader) return '';
  const decoder = new TextDecoder();
  let text = '';
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return text + decoder.decode();
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      return undefined;
    }
    text += decoder.decode(value, { stream: true });
  }
}

/**
 * GET /api/v1/<path> on the cluster's Prometheus, through the tunnel, as
 * the edge (the caller's right was checked, the query scoped, before).
 * Every failure comes back as a code and message, never thrown: a panel
 * without data must not take the page down.
 */
export async function prometheusGet<T>(
  env: Env,
  clusterId: string,
  path: string,
  params: Record<string, string>,
): Promise<PromAnswer<T>> {
  let response: Response;
  try {
    response = await proxyThroughTunnel(
      env,
      clusterId,
      {
        target: 'prometheus',
        method: 'GET',
        path: `/api/v1/${path}?${new URLSearchParams(params)}`,
        headers: [['accept', 'application/json']],
      },
      null,
    );
  } catch (error) {
    if (error instanceof ApiError) return { ok: false, code: error.code, message: error.message };
    throw error;
  }
  const text = await readCapped(response, MAX_ANSWER_BYTES);
  if (text === undefined)
    return { ok: false, code: 'too_large', message: 'Prometheus answered more than 2 MiB.' };
  let body: { status?: unknown; data?: unknown; error?: unknown };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    return {
      ok: false,
      code: 'prometheus_unavailable',
      message: `Prometheus answered ${response.status} without JSON.`,
    };
  }
  if (response.ok && body.status === 'success') return { ok: true, data: body.data as T };
  const message = typeof body.error === 'string' ? body.error : `status ${response.status}`;
  return {
    ok: false,
    code: [400, 422].includes(response.status) ? 'query_failed' : 'prometheus_unavailable',
    message: `Prometheus: ${message.slice(0, 512)}`,
  };
}

export interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}
export interface PromRange {
  metric: Record<string, string>;
  values: [number, string][];
}
