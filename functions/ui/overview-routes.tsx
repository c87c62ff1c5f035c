import { Hono } from 'hono';
import { loadOverview } from '../overview/overview';
import { overviewSpend } from '../overview/spend';
import { liveFeed } from './live-figures';
import { OverviewBody } from './pages/overview';
import { renderPage } from './render';
import { requireSession } from './session';
import type { UiEnv } from './ui-env';

/** The overview page and the live feed its script polls; both from the overview function. */
export const uiOverviewRoutes = new Hono<UiEnv>()
  .get('/ui', requireSession, async (c) => {
    // One call to the same function GET /api/v1/overview uses: one round trip of data.
    const overview = await loadOverview(
      c.env,
      c.get('db'),
      c.get('principal'),
      new Date(),
      overviewSpend,
    );
    return renderPage(
      c,
      { title: c.get('i18n').t('overview.title'), section: 'overview' },
      <OverviewBody i18n={c.get('i18n')} overview={overview} />,
    );
  })
  .get('/ui/live', requireSession, async (c) => {
    const overview = await loadOverview(
      c.env,
      c.get('db'),
      c.get('principal'),
      new Date(),
      async () => null,
    );
    c.header('cache-control', 'private, no-store');
    return c.json(await liveFeed(c.get('i18n'), overview));
  });
