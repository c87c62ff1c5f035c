import type { AttentionItem } from '../../overview/schemas';
import type { I18n, MessageKey } from '../i18n';

/** An age people read ("12 minutes ago") with the exact UTC time on hover and for machines. */
export const Age = ({ i18n, at }: { i18n: I18n; at: string }) => (
  <time datetime={at} title={i18n.dateTime(at)}>
    {i18n.ago(at)}
  </time>
);

const labelKey = (name: string) => `label.${name}` as MessageKey;

function whatHappened(i18n: I18n, item: AttentionItem): string {
  const { t } = i18n;
  switch (item.kind) {
    case 'cluster-disconnected':
      return t('attention.disconnected');
    case 'nodes-not-ready':
      return t('attention.nodesNotReady', { count: item.count });
    default:
      return item.summary ?? item.description ?? '';
  }
}

/** One problem: what, where (key labels), since when, and the links the alert carries. */
function AttentionLine({ i18n, item }: { i18n: I18n; item: AttentionItem }) {
  const { t } = i18n;
  const cluster = item.labels.cluster;
  const text = whatHappened(i18n, item);
  return (
    <li class={`att att-${item.severity}`}>
      <div class="row">
        <strong>
          {item.kind === 'alert'
            ? item.title
            : item.kind === 'app-halted'
              ? t('attention.appHalted', { name: item.title })
              : t('attention.cluster', { name: item.title })}
        </strong>
        <span class={`badge sev-${item.severity}`}>{t(`severity.${item.severity}`)}</span>
      </div>
      {text ? <div>{text}</div> : null}
      {item.kind === 'alert' && item.summary && item.description ? (
        <div class="muted">{item.description}</div>
      ) : null}
      <div class="muted">
        {Object.entries(item.labels).map(([k, v]) => (
          <span class="lbl">
            {t(labelKey(k))} <b>{v}</b>
          </span>
        ))}
        {item.since ? (
          <span class="lbl">
            {item.kind === 'cluster-disconnected' ? `${t('attention.lastData')} ` : ''}
            <Age i18n={i18n} at={item.since} />
          </span>
        ) : null}
      </div>
      <div class="links">
        {cluster ? (
          <a href={`/ui/clusters/${encodeURIComponent(cluster)}`}>{t('attention.open')}</a>
        ) : null}
        {item.runbookUrl ? (
          <a href={item.runbookUrl} rel="noopener noreferrer" target="_blank">
            {t('attention.runbook')}
          </a>
        ) : null}
        {item.sourceUrl ? (
          <a href={item.sourceUrl} rel="noopener noreferrer" target="_blank">
            {t('attention.source')}
          </a>
        ) : null}
      </div>
    </li>
  );
}

/** Lines the overview shows; the rest are one link away (the alerts page lists them all). */
export const ATTENTION_SHOWN = 25;

/** "Needs attention", ordered for triage (the first ATTENTION_SHOWN); the live script swaps it in place. */
export function AttentionList({ i18n, items }: { i18n: I18n; items: AttentionItem[] }) {
  if (items.length === 0) return <p class="notice ok">{i18n.t('attention.none')}</p>;
  const more = items.length - ATTENTION_SHOWN;
  return (
    <>
      <ul class="list card">
        {items.slice(0, ATTENTION_SHOWN).map((item) => (
          <AttentionLine i18n={i18n} item={item} />
        ))}
      </ul>
      {more > 0 ? (
        <p>
          <a class="button" href="/ui/alerts">
            {i18n.t('attention.more', { count: more })}
          </a>
        </p>
      ) : null}
    </>
  );
}
