import { composeText } from '../templates/compose';
import { type OutboundRequest, postJson, type SendInput, str } from './types';

/**
 * Email through an HTTP mail API: one JSON POST of `{from, to, subject,
 * text}` with a bearer token (the shape Resend, Postmark-style gateways and
 * most in-house mail services take), and the notification id as
 * `Idempotency-Key` so a retried send is not mailed twice where honoured.
 */
export function mailApiRequest({ config, payload, notificationId }: SendInput): OutboundRequest[] {
  const { title, text } = composeText(payload, config);
  const to = Array.isArray(config.to) ? config.to.filter((t) => typeof t === 'string') : [];
  return [
    postJson(
      str(config, 'apiUrl'),
      { from: str(config, 'from'), to, subject: title, text },
      {
        authorization: `Bearer ${str(config, 'apiToken')}`,
        'idempotency-key': notificationId,
      },
    ),
  ];
}
