import { type Context, Hono } from 'hono';
import { z } from 'zod';
import { wsParam } from '../iam/schemas';
import { type ApiAnswer, callApi } from './api-client';
import { formStatus, messageOf, orThrow } from './api-errors';
import { ConfirmBody } from './pages/confirm';
import { paramsInput, renderPage } from './render';
import { requireSession } from './session';
import type { ApiFetch, UiEnv } from './ui-env';
import { type MemberTyped, renderWorkspacePage } from './workspace-routes';

const userName = z.string().trim().min(1).max(63);
const addForm = z.object({ user: userName, role: z.string().min(1).max(63) });
const roleForm = z.object({ role: z.string().min(1).max(63) });
const memberParam = wsParam.extend({ user: userName });

const back = (ws: string, notice: string, user: string) =>
  `/ui/workspaces/${ws}?notice=${notice}&user=${encodeURIComponent(user)}#members`;

/**
 * Workspace member management from the phone: add, change a role, remove
 * (after a confirmation page). Each form goes to the members API as the
 * user and answers with a redirect (post/redirect/get); a refusal comes
 * back to the workspace page with the reason and what was typed.
 */
export function uiWorkspaceMemberRoutes(api: ApiFetch) {
  // A refusal renders the workspace page again with the reason next to the form and the
  // typed values (no redirect: a link must not be able to put text on the page).
  const refused = (
    c: Context<UiEnv>,
    ws: string,
    answer: ApiAnswer<unknown> | undefined,
    typed: MemberTyped,
  ) =>
    renderWorkspacePage(c, api, ws, {
      status: answer ? formStatus(answer) : 400,
      problem: {
        message: answer ? messageOf(answer) : undefined,
        fields: answer ? [] : ['user'],
        typed,
      },
    });
  return new Hono<UiEnv>()
    .post('/ui/workspaces/:ws/members', requireSession, async (c) => {
      const { ws } = paramsInput(wsParam, c.req.param(), 'param');
      const body = await c.req.parseBody();
      const typedUser = typeof body.user === 'string' ? body.user.slice(0, 63) : '';
      const input = addForm.safeParse(body);
      if (!input.success) return refused(c, ws, undefined, { user: typedUser });
      const answer = await callApi(c, api, `/api/v1/workspaces/${ws}/members`, {
        method: 'POST',
        json: input.data,
      });
      if (!answer.ok) return refused(c, ws, answer, { user: typedUser, role: input.data.role });
      return c.redirect(back(ws, 'added', input.data.user), 303);
    })
    .post('/ui/workspaces/:ws/members/:user/role', requireSession, async (c) => {
      const { ws, user } = paramsInput(memberParam, c.req.param(), 'param');
      const input = roleForm.safeParse(await c.req.parseBody());
      if (!input.success) return refused(c, ws, undefined, {});
      const answer = await callApi(c, api, `/api/v1/workspaces/${ws}/members/${user}`, {
        method: 'PUT',
        json: input.data,
      });
      if (!answer.ok) return refused(c, ws, answer, {});
      return c.redirect(back(ws, 'changed', user), 303);
    })
    .get('/ui/workspaces/:ws/members/:user/remove', requireSession, async (c) => {
      const { ws, user } = paramsInput(memberParam, c.req.param(), 'param');
      orThrow(await callApi(c, api, `/api/v1/workspaces/${ws}/members/${user}`));
      const i18n = c.get('i18n');
      return renderPage(
        c,
        { title: i18n.t('members.remove'), section: 'workspaces' },
        <ConfirmBody
          i18n={i18n}
          csrf={c.get('csrf')}
          question={i18n.t('confirm.removeMember', { user, ws })}
          action={`/ui/workspaces/${ws}/members/${user}/remove`}
          submit={i18n.t('members.remove')}
          cancel={`/ui/workspaces/${ws}#members`}
        />,
      );
    })
    .post('/ui/workspaces/:ws/members/:user/remove', requireSession, async (c) => {
      const { ws, user } = paramsInput(memberParam, c.req.param(), 'param');
      orThrow(
        await callApi(c, api, `/api/v1/workspaces/${ws}/members/${user}`, { method: 'DELETE' }),
      );
      return c.redirect(back(ws, 'removed', user), 303);
    });
}
