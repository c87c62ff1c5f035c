import type { I18n } from '../i18n';
import { Csrf } from '../layout';

/**
 * "Are you sure?" without a script: dangerous buttons are links to this
 * page, and only its form posts. Cancel goes back where the user was.
 */
export function ConfirmBody(props: {
  i18n: I18n;
  csrf: string;
  question: string;
  detail?: string;
  action: string;
  fields?: Record<string, string>;
  submit: string;
  cancel: string;
}) {
  const { t } = props.i18n;
  return (
    <section class="card" aria-labelledby="confirm">
      <h2 id="confirm">{props.question}</h2>
      {props.detail ? <p class="notice error">{props.detail}</p> : null}
      <form method="post" action={props.action} class="inline">
        <Csrf token={props.csrf} />
        {Object.entries(props.fields ?? {}).map(([name, value]) => (
          <input type="hidden" name={name} value={value} />
        ))}
        <button type="submit" class="danger">
          {props.submit}
        </button>
        <a class="button" href={props.cancel}>
          {t('confirm.cancel')}
        </a>
      </form>
    </section>
  );
}

/** A link styled as a button that leads to a confirmation page. */
export const DangerLink = ({
  href,
  label,
  name,
}: {
  href: string;
  label: string;
  name?: string;
}) => (
  <a class="button danger-link" href={href} aria-label={name ? `${label} ${name}` : undefined}>
    {label}
  </a>
);
