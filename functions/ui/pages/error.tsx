import type { I18n } from '../i18n';

/** The one error shape ({code, message, requestId}) for a browser: readable, with the id to quote. */
export const ErrorBody = ({
  i18n,
  code,
  message,
  requestId,
}: {
  i18n: I18n;
  code: string;
  message: string;
  requestId: string;
}) => (
  <div class="notice error" role="alert">
    <p>{message}</p>
    <p class="muted">
      <code>{code}</code> · {i18n.t('common.requestId')}: <code>{requestId}</code>
    </p>
    <p>
      <a href="/ui">{i18n.t('common.back')}</a>
    </p>
  </div>
);
