import { channelTypes } from '../../../db/schema/notification-channels';
import type { FormProblem } from '../forms/form-problem';
import type { I18n, MessageKey } from '../i18n';
import { Csrf } from '../layout';
import { FormProblemNote, firstInvalid } from './form-problem';

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
        <input
          id="ch-name"
          name="name"
          required
          maxlength={63}
          value={values.name ?? ''}
          autofocus={firstInvalid(problem, 'channel', 'name')}
        />
        <label for="ch-type">{t('common.type')}</label>
        <select id="ch-type" name="type">
          {channelTypes.map((type) => (
            <option value={type} selected={type === (values.type ?? 'webhook')}>
              {t(`channelType.${type}` as MessageKey)}
            </option>
          ))}
        </select>
        <label for="ch-url">{t('channel.url')}</label>
        <input
          id="ch-url"
          name="url"
          type="url"
          maxlength={2048}
          aria-describedby="ch-url-hint"
          autofocus={firstInvalid(problem, 'channel', 'url')}
        />
        <p class="muted" id="ch-url-hint">
          {t('channel.urlHint')}
        </p>
        <label for="ch-config">{t('channel.config')}</label>
        <textarea
          id="ch-config"
          name="config"
          rows={3}
          maxlength={16384}
          autofocus={firstInvalid(problem, 'channel', 'config')}
        >
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
          <input
            id="rc-name"
            name="name"
            required
            maxlength={63}
            value={values.name ?? ''}
            autofocus={firstInvalid(problem, 'receiver', 'name')}
          />
          <fieldset>
            <legend>{t('receiver.channels')}</legend>
            {channels.map((name, i) => (
              <label class="check" for={`rc-ch-${i}`}>
                <input
                  id={`rc-ch-${i}`}
                  type="checkbox"
                  name="channels"
                  value={name}
                  autofocus={i === 0 ? firstInvalid(problem, 'receiver', 'channels') : undefined}
                />{' '}
                {name}
              </label>
            ))}
          </fieldset>
          <label for="rc-matchers">{t('receiver.matchers')}</label>
          <input
            id="rc-matchers"
            name="matchers"
            maxlength={4096}
            value={values.matchers ?? ''}
            autofocus={firstInvalid(problem, 'receiver', 'matchers')}
          />
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

/** Leads to the confirmation page for deleting a channel or receiver (only that page posts). */
export function DeleteButton({
  i18n,
  kind,
  id,
  name,
}: {
  i18n: I18n;
  kind: 'channels' | 'receivers';
  id: string;
  name: string;
}) {
  const query = new URLSearchParams({ id, name });
  return (
    <a
      class="button danger-link"
      href={`/ui/alerts/${kind}/delete?${query}`}
      aria-label={`${i18n.t('edit.delete')} ${name}`}
    >
      {i18n.t('edit.delete')}
    </a>
  );
}
