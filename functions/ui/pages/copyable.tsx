import type { I18n } from '../i18n';

/**
 * A one-time value (token, command, manifest) people copy: wrapped so it
 * reads on a phone, selectable, with a Copy button the script shows (hidden
 * without JavaScript, where selecting the text still works).
 */
export function Copyable({
  i18n,
  id,
  label,
  value,
  wrap = true,
}: {
  i18n: I18n;
  id: string;
  label: string;
  value: string;
  /** Commands and tokens wrap; YAML keeps its lines (it scrolls inside its box). */
  wrap?: boolean;
}) {
  return (
    <div class="copyable">
      <div class="row">
        <span class="label" id={`${id}-label`}>
          {label}
        </span>
        <button
          type="button"
          class="quiet"
          data-copy={id}
          data-copied={i18n.t('copy.done')}
          aria-describedby={`${id}-label`}
          hidden
        >
          {i18n.t('copy.button')}
        </button>
      </div>
      <pre id={id} class={wrap ? 'wrap' : 'yaml'} tabindex={0}>
        {value}
      </pre>
    </div>
  );
}
