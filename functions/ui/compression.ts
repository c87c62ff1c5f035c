import type { MiddlewareHandler } from 'hono';
import type { UiEnv } from './ui-env';

const compressible = /^(text\/|application\/json)/;

/**
 * Compressed pages and assets (the first screen must stay under 60 KB on
 * the wire). The Workers runtime encodes a body itself when a response
 * names a Content-Encoding (its `encodeBody: "automatic"`), so naming one
 * is all it takes; compressing here as well (hono/compress) would encode
 * twice. Brotli when the browser takes it, else gzip.
 */
export const compressText: MiddlewareHandler<UiEnv> = async function compressText(c, next) {
  await next();
  const accepted = c.req.header('accept-encoding') ?? '';
  const type = c.res.headers.get('content-type') ?? '';
  if (c.res.headers.has('content-encoding') || !compressible.test(type) || !c.res.body) return;
  const encoding = /\bbr\b/.test(accepted) ? 'br' : /\bgzip\b/.test(accepted) ? 'gzip' : undefined;
  if (!encoding) return;
  c.res.headers.set('content-encoding', encoding);
  c.res.headers.append('vary', 'accept-encoding');
};
