import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { ApiError, type ErrorBody as ErrorShape } from '../errors';
import { log } from '../log';
import { uiAlertRoutes } from './alert-routes';
import { uiAppRoutes } from './app-routes';
import { assets } from './assets';
import { uiAuthRoutes } from './auth-routes';
import { uiBillRoutes } from './bill';
import { uiClusterRoutes } from './cluster-routes';
import { compressText } from './compression';
import { csrf } from './csrf';
import { locale } from './locale';
import { uiMeteringRoutes } from './metering-routes';
import { uiMonitoringRoutes } from './monitoring-routes';
import { uiNotifyEditRoutes } from './notify-edit-routes';
import { uiOverviewRoutes } from './overview-routes';
import { ErrorBody } from './pages/error';
import { renderPage } from './render';
import { uiHeaders } from './security-headers';
import type { ApiFetch, UiEnv } from './ui-env';
import { uiWorkspaceMemberRoutes } from './workspace-members';
import { uiWorkspaceRoutes } from './workspace-routes';

const wantsHtml = (accept: string | undefined) => (accept ?? '').includes('text/html');

/**
 * The dashboard under /ui: server-rendered pages (Hono JSX) that call the
 * edge's own functions and API in-process as the signed-in user. `/` sends
 * browsers there.
 */
export function createUiRoutes(api: ApiFetch) {
  const ui = new Hono<UiEnv>();
  ui.use('/ui', compressText, uiHeaders, locale, csrf);
  ui.use('/ui/*', compressText, uiHeaders, locale, csrf);

  ui.get('/', (c) => {
    if (!wantsHtml(c.req.header('accept')))
      throw new ApiError(404, 'No route for GET /; the API is under /api, the dashboard at /ui.');
    return c.redirect('/ui', 302);
  });
  for (const asset of Object.values(assets))
    ui.get(asset.path, (c) =>
      c.body(asset.body, 200, {
        'content-type': asset.type,
        'cache-control': 'public, max-age=31536000, immutable',
      }),
    );

  ui.route('/', uiAuthRoutes(api));
  ui.route('/', uiOverviewRoutes);
  ui.route('/', uiClusterRoutes(api));
  ui.route('/', uiAlertRoutes(api));
  ui.route('/', uiNotifyEditRoutes(api));
  ui.route('/', uiWorkspaceRoutes(api));
  ui.route('/', uiWorkspaceMemberRoutes(api));
  ui.route('/', uiAppRoutes(api));
  ui.route('/', uiMeteringRoutes(api));
  ui.route('/', uiBillRoutes(api));
  ui.route('/', uiMonitoringRoutes(api));

  ui.onError(async (err, c) => {
    const error =
      err instanceof ApiError
        ? err
        : err instanceof HTTPException
          ? new ApiError(err.status as ContentfulStatusCode, err.message || 'Request failed.')
          : undefined;
    if (!error)
      log.error('unhandled', {
        requestId: c.get('requestId'),
        error: String(err),
        stack: err.stack,
      });
    const shown =
      error ?? new ApiError(500, 'Internal error; quote the request id when reporting it.');
    const status = shown.status as ContentfulStatusCode;
    if (!wantsHtml(c.req.header('accept')) || !c.get('i18n')) {
      const body: ErrorShape = {
        code: shown.code,
        message: shown.message,
        requestId: c.get('requestId') ?? '',
      };
      if (shown.fields) body.fields = shown.fields;
      return c.json(body, status, shown.headers);
    }
    const i18n = c.get('i18n');
    // Signed-in pages keep their navigation and sign-out on errors too.
    const signedIn = c.get('session') !== undefined;
    return renderPage(
      c,
      { title: i18n.t('common.error'), signedIn, status },
      <ErrorBody
        i18n={i18n}
        status={status}
        code={shown.code}
        message={shown.message}
        requestId={c.get('requestId') ?? ''}
      />,
    );
  });
  return ui;
}
