import { Hono } from 'hono';
import { renderAlertsPage } from './alert-routes';
import { callApi } from './api-client';
import { orThrow } from './api-errors';
import { apiProblem, type FormProblem, readForm } from './forms/form-problem';
import {
  channelBody,
  channelForm,
  deleteForm,
  receiverBody,
  receiverForm,
} from './forms/notify-forms';
import { formInput } from './render';
import { requireSession } from './session';
import type { ApiFetch, UiEnv } from './ui-env';

// Secrets (the URL) are never filled back into a form.
const channelRefill = ['name', 'type', 'config', 'workspace', 'cluster'] as const;
const receiverRefill = ['name', 'matchers', 'workspace', 'cluster'] as const;

const done = (notice: 'created' | 'deleted', name: string) =>
  `/ui/alerts?notice=${notice}&name=${encodeURIComponent(name)}`;

/**
 * Creating and deleting notification channels and receivers from the alerts
 * page: each form is checked here, then sent to the notification API
 * in-process as the signed-in user (its authorization and audit apply); what
 * either refuses comes back next to the form with the reason.
 */
export function uiNotifyEditRoutes(api: ApiFetch) {
  const again = (c: Parameters<typeof renderAlertsPage>[0], problem: FormProblem) =>
    renderAlertsPage(c, api, { problem });
  return new Hono<UiEnv>()
    .post('/ui/alerts/channels', requireSession, async (c) => {
      const input = await readForm(c, 'channel', channelForm, channelRefill);
      if (!input.ok) return again(c, input.problem);
      const answer = await callApi(c, api, '/api/v1/notification/channels', {
        method: 'POST',
        json: channelBody(input.data),
      });
      if (!answer.ok) return again(c, apiProblem('channel', answer, input.values));
      return c.redirect(done('created', input.data.name), 303);
    })
    .post('/ui/alerts/receivers', requireSession, async (c) => {
      const input = await readForm(c, 'receiver', receiverForm, receiverRefill);
      if (!input.ok) return again(c, input.problem);
      const answer = await callApi(c, api, '/api/v1/notification/receivers', {
        method: 'POST',
        json: receiverBody(input.data),
      });
      if (!answer.ok) return again(c, apiProblem('receiver', answer, input.values));
      return c.redirect(done('created', input.data.name), 303);
    })
    .post('/ui/alerts/channels/delete', requireSession, async (c) => {
      const { id, name } = await formInput(c, deleteForm);
      orThrow(
        await callApi(c, api, `/api/v1/notification/channels/${encodeURIComponent(id)}`, {
          method: 'DELETE',
        }),
      );
      return c.redirect(done('deleted', name), 303);
    })
    .post('/ui/alerts/receivers/delete', requireSession, async (c) => {
      const { id, name } = await formInput(c, deleteForm);
      orThrow(
        await callApi(c, api, `/api/v1/notification/receivers/${encodeURIComponent(id)}`, {
          method: 'DELETE',
        }),
      );
      return c.redirect(done('deleted', name), 303);
    });
}
