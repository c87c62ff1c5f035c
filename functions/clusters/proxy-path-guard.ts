import { proxyPathProblem, rawTarget } from '../../protocol/proxy-path';
import { ApiError } from '../errors';

/** The 400 every proxied route answers for such a path, before anything reaches a tunnel. */
export function badProxyPath(problem: string): ApiError {
  return new ApiError(400, `Refused proxy path: ${problem}.`, { code: 'bad_proxy_path' });
}

/** Throws `bad_proxy_path` unless the request's raw path is one that may be proxied. */
export function requireProxyablePath(url: string): { path: string; query: string } {
  const target = rawTarget(url);
  const problem = proxyPathProblem(target.path);
  if (problem) throw badProxyPath(problem);
  return target;
}
