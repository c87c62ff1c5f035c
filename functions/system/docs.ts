import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../env';

const docsPage = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>edgetower API reference</title>
</head>
<body>
<script id="api-reference" data-url="/openapi.json"></script>
<script src="https://cdn.jsdelivr.net/npm/@scalar/api-reference@1"></script>
</body>
</html>`;

/** `GET /openapi.json` (generated from the zod schemas that validate requests) and `GET /docs`. */
export function mountApiDocs(app: OpenAPIHono<AppEnv>): void {
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    description: 'An edgetower access token (JWT from /oauth/token) or an API token (et_...).',
  });
  app.doc31('/openapi.json', (c) => ({
    openapi: '3.1.0',
    info: {
      title: 'edgetower',
      version: '0.1.0',
      description: 'Control plane for Kubernetes fleets at the edge.',
    },
    servers: [{ url: new URL(c.req.url).origin }],
  }));
  app.get('/docs', (c) => c.html(docsPage));
}
