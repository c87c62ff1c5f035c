import type { I18n, MessageKey } from '../i18n';

const explained = [400, 401, 403, 404, 409, 413, 415, 429, 500, 502, 503];

/**
 * The one error shape ({code, message, requestId}) for a browser: what
 * happened in the user's language first, the service's own message under
 * it, and the request id small, to quote when reporting.
 */
export const ErrorBody = ({
  i18n,
  status,
  code,
  message,
  requestId,
}: {
  i18n: I18n;
  status: number;
  code: string;
  message: string;
  requestId: string;
}) => (
  <div class="notice error" role="alert">
    <p>
      <strong>
        {i18n.t(`error.${explained.includes(status) ? status : 'other'}` as MessageKey)}
      </strong>
    </p>
    <p>{message}</p>
    <p class="small muted">
      <code>{code}</code> · {i18n.t('common.requestId')}: <code>{requestId}</code>
    </p>
    <p>
      <a href="/ui">{i18n.t('common.back')}</a>
    </p>
  </div>
);
