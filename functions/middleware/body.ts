import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { AppEnv } from '../env';
import { ApiError } from '../errors';

export const defaultBodyLimitBytes = 1024 * 1024;

/** 413 for bodies over `maxSize` (1 MiB unless a route says otherwise), before they are read whole. */
export const limitBody = (maxSize = defaultBodyLimitBytes): MiddlewareHandler<AppEnv> =>
  bodyLimit({
    maxSize,
    onError: () => {
      throw new ApiError(413, `Request body is larger than ${maxSize} bytes.`);
    },
  });

const hasBody = (req: Request) =>
  req.body !== null && (req.headers.get('content-length') ?? '') !== '0';

/** Routes that also take YAML: KubeSphere's configuration is YAML, pasted as it is. */
const yamlRoutes = new Set(['/api/v1/identity-providers:import']);
/** Prometheus rule files at every level of alerting rules (issue #15). */
const yamlRoutePattern = /\/alerting\/rules:import$/;
const yamlType = /^(application|text)\/(x-)?yaml\b/i;
/**
 * PromQL queries also come as forms: Grafana and other Prometheus clients
 * POST `query=…` form-encoded to a Prometheus data source by default.
 */
const formRoutePattern =
  /^\/api\/v1\/clusters\/[^/]+\/(prometheus|monitoring)\/api\/v1\/query(_range)?$/;
const formType = /^application\/x-www-form-urlencoded\b/i;

/** API bodies are JSON (YAML where `yamlRoutes` says): anything else is 415, not a confusing validation error. */
export const requireJson: MiddlewareHandler<AppEnv> = async function requireJson(c, next) {
  if (['POST', 'PUT', 'PATCH'].includes(c.req.method) && hasBody(c.req.raw)) {
    const type = c.req.header('content-type') ?? '';
    const yaml =
      yamlType.test(type) && (yamlRoutes.has(c.req.path) || yamlRoutePattern.test(c.req.path));
    const form = formType.test(type) && formRoutePattern.test(c.req.path);
    if (!yaml && !form && !/^application\/([\w.+-]+\+)?json\b/i.test(type)) {
      throw new ApiError(
        415,
        `Send JSON with Content-Type: application/json (got "${type || 'none'}").`,
      );
    }
  }
  await next();
};
