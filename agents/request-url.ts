import { proxyPathProblem } from '../protocol/proxy-path';

/** A request URL the agent will send to, or why it will not. */
export type UpstreamUrl = { ok: true; url: URL } | { ok: false; problem: string };

/**
 * The URL of `pathAndQuery` (a request frame's path, `/...?...`) on the
 * upstream at `base`: always `base`'s scheme, host and port, always under
 * `base`'s path. The URL parser is never asked to resolve the path against
 * the base (`new URL(path, base)` reads `//host/x` as another host and
 * resolves `..` above the base path), and paths with `//`, dot segments or
 * encoded separators are refused outright, as the edge refuses them.
 */
export function upstreamUrl(base: URL, pathAndQuery: string): UpstreamUrl {
  const q = pathAndQuery.indexOf('?');
  const path = q === -1 ? pathAndQuery : pathAndQuery.slice(0, q);
  const query = q === -1 ? '' : pathAndQuery.slice(q);
  const problem = proxyPathProblem(path);
  if (problem) return { ok: false, problem };
  const basePath = base.pathname.replace(/\/+$/, '');
  const url = new URL(base.href);
  url.pathname = `${basePath}${path}`;
  url.search = query;
  url.hash = '';
  // Belt and braces: whatever the setters did, the result must still be under the base.
  if (
    url.origin !== base.origin ||
    (url.pathname !== basePath && !url.pathname.startsWith(`${basePath}/`))
  )
    return { ok: false, problem: 'the path leaves the upstream base' };
  return { ok: true, url };
}
