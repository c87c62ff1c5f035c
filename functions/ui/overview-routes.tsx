import { Hono } from 'hono';
import { loadOverview } from '../overview/overview';
import { overviewSpend } from '../overview/spend';
import { OverviewBody } from './pages/overview';
import { renderPage } from './render';
import { requireSession } from './session';
import type { UiEnv } from './ui-env';

/** The overview page, from the same function as GET /api/v1/overview (its live script refetches it). */
export const uiOverviewRoutes = new Hono<UiEnv>().get('/ui', requireSession, async (c) => {
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
});
