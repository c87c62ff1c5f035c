import { Hono } from 'hono';
import { z } from 'zod';
import { wsParam } from '../iam/schemas';
import type { QuotaView } from '../quotas/schemas';
import { type ApiAnswer, callApi } from './api-client';
import { orThrow } from './api-errors';
import { AuditBody, type AuditItem } from './pages/audit';
import {
  type MemberItem,
  WorkspaceDetailBody,
  type WorkspaceItem,
  WorkspaceListBody,
  type WorkspaceNamespace,
} from './pages/workspaces';
import { paramsInput, renderPage } from './render';
import { requireSession } from './session';
import type { ApiFetch, UiEnv } from './ui-env';

const cursorQuery = z.object({ cursor: z.string().max(512).optional() });

interface Page<T> {
  items: T[];
  nextCursor?: string;
}

/** What the caller may not read (403) is left out; a workspace they cannot see is 404. */
const optional = <T,>(answer: ApiAnswer<T>): T | undefined =>
  answer.status === 403 ? undefined : orThrow(answer);

/** Workspaces (members, namespaces, quota) and the audit log, all through the API as the user. */
export function uiWorkspaceRoutes(api: ApiFetch) {
  return new Hono<UiEnv>()
    .get('/ui/workspaces', requireSession, async (c) => {
      const page = orThrow(
        await callApi<Page<WorkspaceItem>>(c, api, '/api/v1/workspaces?limit=200'),
      );
      return renderPage(
        c,
        { title: c.get('i18n').t('workspaces.title'), section: 'workspaces' },
        <WorkspaceListBody i18n={c.get('i18n')} workspaces={page.items} />,
      );
    })
    .get('/ui/workspaces/:ws', requireSession, async (c) => {
      const { ws } = paramsInput(wsParam, c.req.param(), 'param');
      const base = `/api/v1/workspaces/${ws}`;
      orThrow(await callApi(c, api, base));
      const [members, namespaces, quota] = await Promise.all([
        callApi<Page<MemberItem>>(c, api, `${base}/members?limit=200`),
        callApi<Page<WorkspaceNamespace>>(c, api, `${base}/namespaces?limit=200`),
        callApi<QuotaView>(c, api, `${base}/quota`),
      ]);
      return renderPage(
        c,
        { title: ws, section: 'workspaces' },
        <WorkspaceDetailBody
          i18n={c.get('i18n')}
          members={optional(members)?.items}
          namespaces={optional(namespaces)?.items}
          quota={quota.ok ? quota.body : undefined}
        />,
      );
    })
    .get('/ui/audit', requireSession, async (c) => {
      const { cursor } = paramsInput(cursorQuery, c.req.query(), 'query');
      const query = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
      const page = orThrow(
        await callApi<Page<AuditItem>>(c, api, `/api/v1/audit?limit=50${query}`),
      );
      return renderPage(
        c,
        { title: c.get('i18n').t('audit.title'), section: 'audit' },
        <AuditBody i18n={c.get('i18n')} events={page.items} nextCursor={page.nextCursor} />,
      );
    });
}
