/**
 * What the local runtime costs with none of edgetower's code: a JSON reply,
 * one trivial D1 query, and a streamed pass-through of an upstream body.
 */
interface FloorEnv {
  DB: D1Database;
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === '/healthz') return Response.json({ status: 'ok' });
    if (url.pathname === '/d1')
      return Response.json(await env.DB.prepare('SELECT 1 AS one').first());
    if (url.pathname === '/pass') {
      const upstream = url.searchParams.get('url') ?? '';
      const res = await fetch(upstream, {
        headers: {
          authorization: request.headers.get('authorization') ?? '',
          'accept-encoding': 'identity',
        },
      });
      return new Response(res.body, { status: res.status, headers: res.headers });
    }
    return Response.json({ code: 'not_found', message: 'No such route.' }, { status: 404 });
  },
} satisfies ExportedHandler<FloorEnv>;
