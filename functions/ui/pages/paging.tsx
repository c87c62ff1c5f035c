import type { I18n } from '../i18n';

/** Items per page of the lists that grow (alerts, silences), sized for a phone. */
export const PER_PAGE = 20;

/** The items of one page (1-based) of a list. */
export const pageOf = <T,>(items: T[], page: number, perPage = PER_PAGE) =>
  items.slice((page - 1) * perPage, page * perPage);

/**
 * Previous / next links of one list: plain GETs (no script), labelled by
 * the list's heading, 44 px tall like every link in a list; none when the
 * list fits one page.
 */
export function PageNav({
  i18n,
  label,
  page,
  total,
  href,
  perPage = PER_PAGE,
}: {
  i18n: I18n;
  label: string;
  page: number;
  total: number;
  href: (page: number) => string;
  perPage?: number;
}) {
  const { t } = i18n;
  const pages = Math.max(1, Math.ceil(total / perPage));
  if (pages === 1) return null;
  return (
    <nav class="paging" aria-label={label}>
      {page > 1 ? <a href={href(page - 1)}>{t('paging.previous')}</a> : null}
      {page < pages ? <a href={href(page + 1)}>{t('paging.next')}</a> : null}
      <span class="muted">{t('paging.pageOf', { page, pages })}</span>
    </nav>
  );
}
