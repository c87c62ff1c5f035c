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
  fetchImpl?: typeof fetch;
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
  let res: Response;
  try {
    res = await (options.fetchImpl ?? fetch)(
      `${options.baseUrl.replace(/\/+$/, '')}/api/v1/query`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body,
        signal: options.signal,
      },
    );
  } catch (error) {
    throw new QueryError(describeFetchError(error, options.signal));
  }
  let parsed: ApiResponse;
  try {
    parsed = (await res.json()) as ApiResponse;
  } catch (error) {
    if (options.signal.aborted) throw new QueryError(describeFetchError(error, options.signal));
    throw new QueryError(`Prometheus answered ${res.status} with a body that is not JSON`);
  }
  if (parsed.status !== 'success') {
    const detail = parsed.error ?? `HTTP ${res.status}`;
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

function describeFetchError(error: unknown, signal: AbortSignal): string {
  if (signal.aborted) {
    const reason = signal.reason as { name?: string } | undefined;
    return reason?.name === 'TimeoutError'
      ? 'query timed out (Prometheus did not answer within the evaluation deadline)'
      : 'query cancelled';
  }
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const detail = cause?.code ?? cause?.message ?? (error as Error).message ?? String(error);
  return `cannot reach Prometheus: ${detail}`.slice(0, MAX_ERROR_CHARS);
}
