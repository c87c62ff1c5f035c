import { channelTypes } from '../../../db/schema/notification-channels';
import type { FormProblem } from '../forms/form-problem';
import type { I18n } from '../i18n';
import { Csrf } from '../layout';
import { FormProblemNote } from './form-problem';

interface FormProps {
  i18n: I18n;
  csrf: string;
  problem: FormProblem | undefined;
}

/** Workspace / cluster a new channel or receiver belongs to (empty: the platform). */
function Placement({
  i18n,
  prefix,
  values,
}: {
  i18n: I18n;
  prefix: string;
  values: Record<string, string>;
}) {
  const { t } = i18n;
  return (
    <div class="inline">
      <div>
        <label for={`${prefix}-workspace`}>{t('edit.workspace')}</label>
        <input
          id={`${prefix}-workspace`}
          name="workspace"
          maxlength={63}
          value={values.workspace ?? ''}
        />
      </div>
      <div>
        <label for={`${prefix}-cluster`}>{t('edit.cluster')}</label>
        <input
          id={`${prefix}-cluster`}
          name="cluster"
          maxlength={63}
          value={values.cluster ?? ''}
        />
      </div>
    </div>
  );
}

/**
 * A new notification channel: name, type, the webhook URL most types need,
 * and any further settings as JSON. Secrets typed here are never filled back.
 */
export function ChannelForm({ i18n, csrf, problem }: FormProps) {
  const { t } = i18n;
  const values = problem?.values ?? {};
  return (
    <details open={problem ? true : undefined}>
      <summary>{t('channel.new')}</summary>
      {problem ? <FormProblemNote i18n={i18n} problem={problem} /> : null}
      <form method="post" action="/ui/alerts/channels">
        <Csrf token={csrf} />
        <label for="ch-name">{t('common.name')}</label>
        <input id="ch-name" name="name" required maxlength={63} value={values.name ?? ''} />
        <label for="ch-type">{t('common.type')}</label>
        <select id="ch-type" name="type">
          {channelTypes.map((type) => (
            <option value={type} selected={type === (values.type ?? 'webhook')}>
              {type}
            </option>
          ))}
        </select>
        <label for="ch-url">{t('channel.url')}</label>
        <input id="ch-url" name="url" type="url" maxlength={2048} aria-describedby="ch-url-hint" />
        <p class="muted" id="ch-url-hint">
          {t('channel.urlHint')}
        </p>
        <label for="ch-config">{t('channel.config')}</label>
        <textarea id="ch-config" name="config" rows={3} maxlength={16384}>
          {values.config ?? ''}
        </textarea>
        <Placement i18n={i18n} prefix="ch" values={values} />
        <p>
          <button type="submit">{t('edit.create')}</button>
        </p>
      </form>
    </details>
  );
}

/** A new receiver: which channels, which alerts (matchers), whether resolutions are sent. */
export function ReceiverForm({
  i18n,
  csrf,
  problem,
  channels,
}: FormProps & { channels: string[] }) {
  const { t } = i18n;
  const values = problem?.values ?? {};
  return (
    <details open={problem ? true : undefined}>
      <summary>{t('receiver.new')}</summary>
      {problem ? <FormProblemNote i18n={i18n} problem={problem} /> : null}
      {channels.length === 0 ? (
        <p class="muted">{t('receiver.noChannels')}</p>
      ) : (
        <form method="post" action="/ui/alerts/receivers">
          <Csrf token={csrf} />
          <label for="rc-name">{t('common.name')}</label>
          <input id="rc-name" name="name" required maxlength={63} value={values.name ?? ''} />
          <fieldset>
            <legend>{t('receiver.channels')}</legend>
            {channels.map((name, i) => (
              <label class="check" for={`rc-ch-${i}`}>
                <input id={`rc-ch-${i}`} type="checkbox" name="channels" value={name} /> {name}
              </label>
            ))}
          </fieldset>
          <label for="rc-matchers">{t('receiver.matchers')}</label>
          <input id="rc-matchers" name="matchers" maxlength={4096} value={values.matchers ?? ''} />
          <label class="check" for="rc-resolved">
            <input id="rc-resolved" type="checkbox" name="sendResolved" checked />{' '}
            {t('receiver.sendResolved')}
          </label>
          <Placement i18n={i18n} prefix="rc" values={values} />
          <p>
            <button type="submit">{t('edit.create')}</button>
          </p>
        </form>
      )}
    </details>
  );
}

/** Deletes a channel or receiver by id (the API refuses what the user may not delete). */
export function DeleteButton({
  i18n,
  csrf,
  action,
  id,
  name,
}: {
  i18n: I18n;
  csrf: string;
  action: string;
  id: string;
  name: string;
}) {
  return (
    <form method="post" action={action}>
      <Csrf token={csrf} />
      <input type="hidden" name="id" value={id} />
      <input type="hidden" name="name" value={name} />
      <button type="submit" class="quiet" aria-label={`${i18n.t('edit.delete')} ${name}`}>
        {i18n.t('edit.delete')}
      </button>
    </form>
  );
}
