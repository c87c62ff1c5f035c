/*
 * Paths carried into a cluster (kube proxy, Prometheus passthrough) must
 * mean the same thing at every hop: here, at the agent (which resolves them
 * against its API server base with the URL parser) and at the API server or
 * Prometheus (which decode and clean them again). Empty segments (`//host`
 * reads as another host), dot segments and encoded separators do not, so
 * they are refused in every spelling rather than normalised: a client that
 * sends one is not kubectl. The agent applies the same rule again
 * (agents/request-url.ts), in case an edge without this check talks to it.
 * No imports: the agent shares this file.
 */

/** The undecoded path and query of a request URL, exactly as the worker received it. */
export function rawTarget(url: string): { path: string; query: string } {
  const afterScheme = url.indexOf('://');
  const pathStart = url.indexOf('/', afterScheme === -1 ? 0 : afterScheme + 3);
  if (pathStart === -1) return { path: '/', query: '' };
  const rest = url.slice(pathStart).split('#', 1)[0] ?? '';
  const q = rest.indexOf('?');
  return q === -1 ? { path: rest, query: '' } : { path: rest.slice(0, q), query: rest.slice(q) };
}

/** Percent-decoding once, or undefined when an escape is malformed. */
function decodeOnce(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

/** How many decodings a segment is followed through: one per hop that decodes again. */
const DECODE_DEPTH = 3;

/**
 * Why `path` (undecoded, starting with `/`) may not be proxied, or undefined
 * when it may. Refused: `//` (an empty segment anywhere but a trailing `/`),
 * `.` and `..` segments, `\`, and any of these reached by percent-decoding
 * (`%2e`, `%2E`, `%2f`, `%5c`, double encodings such as `%252e`).
 */
export function proxyPathProblem(path: string): string | undefined {
  if (!path.startsWith('/')) return 'the path must start with /';
  const segments = path.split('/').slice(1);
  for (const [index, segment] of segments.entries()) {
    if (segment === '') {
      if (index === segments.length - 1) continue; // one trailing slash: `/api/`
      return 'the path has an empty segment (//)';
    }
    let form: string | undefined = segment;
    for (let depth = 0; form !== undefined && depth <= DECODE_DEPTH; depth++) {
      if (form === '.' || form === '..') return `the path has a dot segment (${segment})`;
      if (form.includes('/') || form.includes('\\'))
        return `the path has an encoded or backward separator (${segment})`;
      if (!form.includes('%')) break;
      form = decodeOnce(form);
    }
    if (form === undefined) return `the path has a malformed percent-encoding (${segment})`;
  }
  return undefined;
}
