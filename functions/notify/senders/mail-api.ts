import { defaultMailApiUrl, type MailProvider, mailProviderOf } from '../targets';
import { composeText } from '../templates/compose';
import { postmarkAnswer } from './provider-errors';
import { type OutboundRequest, postJson, type SendInput, str } from './types';

interface Mail {
  from: string;
  to: string[];
  subject: string;
  text: string;
}

/**
 * Each provider's documented request for one plain-text message to many
 * recipients. The notification id goes where the provider lets a sender
 * attach one: Resend honours `Idempotency-Key` (a retried send is not mailed
 * twice); SendGrid, Mailgun and Postmark carry it as custom metadata.
 */
const shapes: Record<
  MailProvider,
  (url: string, token: string, mail: Mail, notificationId: string) => OutboundRequest
> = {
  // https://resend.com/docs/api-reference/emails/send-email
  resend: (url, token, mail, notificationId) =>
    postJson(url, mail, { authorization: `Bearer ${token}`, 'idempotency-key': notificationId }),
  // https://www.twilio.com/docs/sendgrid/api-reference/mail-send/mail-send (answers 202, no body)
  sendgrid: (url, token, mail, notificationId) =>
    postJson(
      url,
      {
        personalizations: [{ to: mail.to.map((email) => ({ email })) }],
        from: { email: mail.from },
        subject: mail.subject,
        content: [{ type: 'text/plain', value: mail.text }],
        custom_args: { notification_id: notificationId },
      },
      { authorization: `Bearer ${token}` },
    ),
  // https://documentation.mailgun.com/docs/mailgun/api-reference/send/mailgun/messages (form fields, basic auth api:<key>)
  mailgun: (url, token, mail, notificationId) => {
    const form = new URLSearchParams({ from: mail.from });
    for (const to of mail.to) form.append('to', to);
    form.set('subject', mail.subject);
    form.set('text', mail.text);
    form.set('v:notification-id', notificationId);
    return {
      url,
      init: {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${btoa(`api:${token}`)}`,
        },
        body: form.toString(),
      },
    };
  },
  // https://postmarkapp.com/developer/api/email-api (To: comma-separated, at most 50)
  postmark: (url, token, mail, notificationId) => ({
    ...postJson(
      url,
      {
        From: mail.from,
        To: mail.to.join(', '),
        Subject: mail.subject,
        TextBody: mail.text,
        MessageStream: 'outbound',
        Metadata: { notification_id: notificationId },
      },
      { accept: 'application/json', 'x-postmark-server-token': token },
    ),
    accepted: postmarkAnswer,
  }),
};

/**
 * Email through an HTTP mail API: one request in the shape of the channel's
 * `provider` (Resend when none is named, the shape this channel always
 * spoke), to `apiUrl` or the provider's own endpoint.
 */
export function mailApiRequest({ config, payload, notificationId }: SendInput): OutboundRequest[] {
  const { title, text } = composeText(payload, config);
  const to = Array.isArray(config.to)
    ? config.to.filter((t): t is string => typeof t === 'string')
    : [];
  const url = str(config, 'apiUrl') || defaultMailApiUrl(config) || '';
  const mail = { from: str(config, 'from'), to, subject: title, text };
  return [shapes[mailProviderOf(config)](url, str(config, 'apiToken'), mail, notificationId)];
}
