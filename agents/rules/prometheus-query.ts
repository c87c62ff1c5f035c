import http from 'node:http';
import https from 'node:https';

/**
 * Instant queries against the cluster's Prometheus, as its rule manager
 * makes them: POST /api/v1/query as a form (long expressions do not hit URL
 * limits), one deadline per query, errors as Prometheus words them.
 */

export interface Sample {
  /** The series' labels, `__name__` included when Prometheus kept it. */
  metric: Record<string, string>;
  value: number;
}

export interface QueryOptions {
  baseUrl: string;
  signal: AbortSignal;
  /** Evaluation time (ms); Prometheus' `time` parameter. */
  time?: number;
}

/** A query that failed; `message` is what Prometheus (or the network) said. */
export class QueryError extends Error {
  override name = 'QueryError';
}

interface ApiResponse {
  status?: string;
  error?: string;
  errorType?: string;
  data?: { resultType?: string; result?: unknown };
}

const MAX_ERROR_CHARS = 1000;

/** Runs `expr` at `time` and answers an instant vector (a scalar answers one unlabelled sample). */
export async function instantQuery(expr: string, options: QueryOptions): Promise<Sample[]> {
  if (!options.baseUrl)
    throw new QueryError('no Prometheus to ask: the agent runs without --prometheus-url');
  const body = new URLSearchParams({ query: expr });
  if (options.time !== undefined) body.set('time', (options.time / 1000).toFixed(3));
  let status: number;
  let parsed: ApiResponse;
  try {
    ({ status, parsed } = await post(
      `${options.baseUrl.replace(/\/+$/, '')}/api/v1/query`,
      body.toString(),
      options.signal,
    ));
  } catch (error) {
    if (error instanceof QueryError) throw error;
    throw new QueryError(describeFetchError(error, options.signal));
  }
  if (parsed.status !== 'success') {
    const detail = parsed.error ?? `HTTP ${status}`;
    const type = parsed.errorType ? `${parsed.errorType}: ` : '';
    throw new QueryError(`${type}${detail}`.slice(0, MAX_ERROR_CHARS));
  }
  return toSamples(parsed.data);
}

function toSamples(data: ApiResponse['data']): Sample[] {
  const result = data?.result;
  switch (data?.resultType) {
    case 'vector': {
      if (!Array.isArray(result)) return [];
      const out: Sample[] = [];
      for (const entry of result as { metric?: Record<string, string>; value?: [number, string] }[])
        out.push({ metric: entry.metric ?? {}, value: Number(entry.value?.[1]) });
      return out;
    }
    case 'scalar':
      return [{ metric: {}, value: Number((result as [number, string])[1]) }];
    default:
      // Prometheus refuses a rule whose expression is not a vector or scalar.
      throw new QueryError(
        `invalid rule expression: it returns a ${data?.resultType ?? 'nothing'}, not an instant vector`,
      );
  }
}

/**
 * Keep-alive connections, a few at most: node:http rather than fetch, whose
 * machinery costs the agent several MiB of RSS for a thousand queries a minute.
 */
const agents = {
  'http:': new http.Agent({ keepAlive: true, maxSockets: 4, maxFreeSockets: 4 }),
  'https:': new https.Agent({ keepAlive: true, maxSockets: 4, maxFreeSockets: 4 }),
};
/** Bytes of one answer: a rule returning more series than this is an error, not an OOM. */
const MAX_RESPONSE_BYTES = 32 * 1024 * 1024;

function post(
  url: string,
  form: string,
  signal: AbortSignal,
): Promise<{ status: number; parsed: ApiResponse }> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const secure = target.protocol === 'https:';
    if (!secure && target.protocol !== 'http:')
      return reject(new QueryError(`unsupported Prometheus URL ${target.protocol}`));
    const req = (secure ? https : http).request(
      target,
      {
        method: 'POST',
        agent: agents[secure ? 'https:' : 'http:'],
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': Buffer.byteLength(form),
          accept: 'application/json',
        },
        signal,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_RESPONSE_BYTES) {
            res.destroy();
            reject(new QueryError(`Prometheus answered more than ${MAX_RESPONSE_BYTES} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        res.on('error', reject);
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          try {
            resolve({ status, parsed: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
          } catch {
            reject(new QueryError(`Prometheus answered ${status} with a body that is not JSON`));
          }
        });
      },
    );
    req.on('error', reject);
    req.end(form);
  });
}

function describeFetchError(error: unknown, signal: AbortSignal): string {
  if (signal.aborted) {
    const reason = signal.reason as { name?: string } | undefined;
    return reason?.name === 'TimeoutError'
      ? 'query timed out (Prometheus did not answer within the evaluation deadline)'
      : 'query cancelled';
  }
  const detail = (error as { code?: string }).code ?? (error as Error).message ?? String(error);
  return `cannot reach Prometheus: ${detail}`.slice(0, MAX_ERROR_CHARS);
}
