import { type Context, Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { z } from 'zod';
import { wsParam } from '../iam/schemas';
import type { QuotaView } from '../quotas/schemas';
import { type ApiAnswer, callApi } from './api-client';
import { orThrow } from './api-errors';
import { AuditBody, type AuditItem } from './pages/audit';
import {
  type MemberItem,
  type MemberProblem,
  WorkspaceDetailBody,
  type WorkspaceItem,
  WorkspaceListBody,
  type WorkspaceNamespace,
} from './pages/workspaces';
import { paramsInput, renderPage } from './render';
import { requireSession } from './session';
import type { ApiFetch, UiEnv } from './ui-env';
import { memberRights } from './workspace-rights';

const auditQuery = z.object({
  cursor: z.string().max(512).optional(),
  user: z.string().trim().max(63).optional(),
  verb: z.string().trim().max(32).optional(),
  resource: z.string().trim().max(63).optional(),
  outcome: z.enum(['success', 'denied', 'failure']).or(z.literal('')).optional(),
});
const noticeQuery = z.object({
  notice: z.enum(['added', 'changed', 'removed']).optional(),
  user: z.string().max(63).optional(),
});

/** What was typed into the add-member form when it was refused (no secrets in it). */
export interface MemberTyped {
  user?: string;
  role?: string;
}

/** One workspace page; forms that were refused come back on it with their problem. */
export async function renderWorkspacePage(
  c: Context<UiEnv>,
  api: ApiFetch,
  ws: string,
  extra: {
    notice?: string | undefined;
    status?: ContentfulStatusCode;
    problem?: MemberProblem;
  },
) {
  const base = `/api/v1/workspaces/${ws}`;
  orThrow(await callApi(c, api, base));
  const [members, namespaces, quota, rights] = await Promise.all([
    callApi<Page<MemberItem>>(c, api, `${base}/members?limit=200`),
    callApi<Page<WorkspaceNamespace>>(c, api, `${base}/namespaces?limit=200`),
    callApi<QuotaView>(c, api, `${base}/quota`),
    memberRights(c, ws),
  ]);
  return renderPage(
    c,
    { title: ws, section: 'workspaces', status: extra.status ?? 200 },
    <WorkspaceDetailBody
      i18n={c.get('i18n')}
      csrf={c.get('csrf')}
      ws={ws}
      rights={rights}
      notice={extra.notice}
      problem={extra.problem}
      members={optional(members)?.items}
      namespaces={optional(namespaces)?.items}
      quota={quota.ok ? quota.body : undefined}
    />,
  );
}

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
      const { notice, user } = paramsInput(noticeQuery, c.req.query(), 'query');
      const i18n = c.get('i18n');
      return renderWorkspacePage(c, api, ws, {
        notice: notice ? i18n.t(`members.${notice}`, { user: user ?? '' }) : undefined,
      });
    })
    .get('/ui/audit', requireSession, async (c) => {
      const query = paramsInput(auditQuery, c.req.query(), 'query');
      // The filters go to the audit API as they are; the next-page link keeps them.
      const filters = new URLSearchParams();
      for (const key of ['user', 'verb', 'resource', 'outcome'] as const)
        if (query[key]) filters.set(key, query[key]);
      const cursor = query.cursor ? `&cursor=${encodeURIComponent(query.cursor)}` : '';
      const sep = filters.size ? `&${filters}` : '';
      const page = orThrow(
        await callApi<Page<AuditItem>>(c, api, `/api/v1/audit?limit=50${sep}${cursor}`),
      );
      return renderPage(
        c,
        { title: c.get('i18n').t('audit.title'), section: 'audit' },
        <AuditBody
          i18n={c.get('i18n')}
          events={page.items}
          nextCursor={page.nextCursor}
          filters={Object.fromEntries(filters)}
          firstPage={!query.cursor}
        />,
      );
    });
}
