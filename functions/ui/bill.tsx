import { Hono } from 'hono';
import { wsParam } from '../iam/schemas';
import type { Bill } from '../metering/bill-schema';
import { toCsv } from '../metering/csv';
import { callApi } from './api-client';
import { orThrow } from './api-errors';
import type { I18n, MessageKey } from './i18n';
import { paramsInput, renderPage } from './render';
import { requireSession } from './session';
import type { ApiFetch, UiEnv } from './ui-env';

/** The bill's metrics in reading order, with their label and unit words. */
const metrics = [
  ['cpu_usage', 'metering.cpu', 'unitName.coreHours'],
  ['memory_usage', 'metering.memory', 'unitName.gibHours'],
  ['net_bytes_received', 'metering.netIn', 'unitName.gib'],
  ['net_bytes_transmitted', 'metering.netOut', 'unitName.gib'],
  ['pvc_bytes_total', 'metering.storage', 'unitName.gibHours'],
] as const satisfies readonly (readonly [keyof Bill['totals']['fees'], MessageKey, MessageKey])[];

/** The columns naming a row, by the bill's grouping (as the API's own CSV has them). */
const keyColumns: Record<
  Bill['groupBy'],
  ('cluster' | 'namespace' | 'workloadKind' | 'workload')[]
> = {
  cluster: ['cluster'],
  namespace: ['cluster', 'namespace'],
  workload: ['cluster', 'namespace', 'workloadKind', 'workload'],
};

/** Quantities to 3 decimals, fees to 4 (sub-cent unit prices add up): rounding a person can read. */
const qty = (n: number) => Math.round(n * 1000) / 1000;
const fee = (n: number) => Math.round(n * 10_000) / 10_000;

/**
 * The bill as CSV for people and spreadsheets: readable column names in the
 * user's language with units and currency, quantities and fees rounded
 * sensibly, a total row last.
 */
export function readableBillCsv(i18n: I18n, bill: Bill): string {
  const { t } = i18n;
  const keys = keyColumns[bill.groupBy];
  const header = [
    ...keys.map((k) => t(`bill.${k}` as MessageKey)),
    ...metrics.flatMap(([, label, unit]) => [
      `${t(label)} (${t(unit)})`,
      `${t(label)} – ${t('bill.fee')} (${bill.currency})`,
    ]),
    `${t('bill.total')} (${bill.currency})`,
  ];
  const values = (line: Bill['totals']) => [
    ...metrics.flatMap(([m]) => [qty(line.quantities[m]), fee(line.fees[m])]),
    fee(line.fee),
  ];
  const rows = bill.rows.map((r) => [...keys.map((k) => r[k] ?? ''), ...values(r)]);
  rows.push([...keys.map((_, i) => (i === 0 ? t('bill.total') : '')), ...values(bill.totals)]);
  return toCsv(header, rows);
}

/** This month's bill on the page: totals per metric first, then each namespace's fee. */
function BillBody({ i18n, bill }: { i18n: I18n; bill: Bill }) {
  const { t } = i18n;
  return (
    <>
      <section class="card" aria-labelledby="bill-totals">
        <h2 id="bill-totals">
          {t('metering.billTotal')}: {i18n.money(bill.totals.fee, bill.currency)}
        </h2>
        <p class="muted">
          {i18n.dateTime(bill.start * 1000)} – {i18n.dateTime(bill.end * 1000)}
        </p>
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">{t('metering.item')}</th>
                <th scope="col">{t('bill.quantity')}</th>
                <th scope="col">{t('bill.fee')}</th>
              </tr>
            </thead>
            <tbody>
              {metrics.map(([m, label, unit]) => (
                <tr>
                  <th scope="row">{t(label)}</th>
                  <td>
                    {i18n.number(qty(bill.totals.quantities[m]))} {t(unit)}
                  </td>
                  <td>{i18n.price(fee(bill.totals.fees[m]), bill.currency)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <p>
          <a class="button" href={`/ui/workspaces/${bill.workspace}/bill.csv`} download>
            {t('metering.downloadCsv', { ws: bill.workspace })}
          </a>
        </p>
      </section>
      {bill.rows.length > 0 ? (
        <section class="card" aria-labelledby="bill-rows">
          <h2 id="bill-rows">{t('bill.byNamespace')}</h2>
          <ul class="list">
            {bill.rows.map((r) => (
              <li class="row">
                <span>
                  {r.namespace ?? r.cluster ?? '–'}
                  {r.cluster && r.namespace ? <span class="muted"> · {r.cluster}</span> : null}
                </span>
                <strong>{i18n.price(fee(r.fee), bill.currency)}</strong>
              </li>
            ))}
          </ul>
        </section>
      ) : null}
    </>
  );
}

/** A workspace's bill: on the page (totals) and as a readable CSV download. */
export function uiBillRoutes(api: ApiFetch) {
  const load = async (c: Parameters<typeof callApi>[0], ws: string) =>
    orThrow(await callApi<Bill>(c, api, `/api/v1/workspaces/${ws}/bill`));
  return new Hono<UiEnv>()
    .get('/ui/workspaces/:ws/bill', requireSession, async (c) => {
      const { ws } = paramsInput(wsParam, c.req.param(), 'param');
      const bill = await load(c, ws);
      return renderPage(
        c,
        { title: c.get('i18n').t('bill.title', { ws }), section: 'metering' },
        <BillBody i18n={c.get('i18n')} bill={bill} />,
      );
    })
    .get('/ui/workspaces/:ws/bill.csv', requireSession, async (c) => {
      const { ws } = paramsInput(wsParam, c.req.param(), 'param');
      const bill = await load(c, ws);
      const day = (s: number) => new Date(s * 1000).toISOString().slice(0, 10);
      return c.body(readableBillCsv(c.get('i18n'), bill), 200, {
        'content-type': 'text/csv; charset=utf-8',
        'content-disposition': `attachment; filename="bill-${ws}-${day(bill.start)}-${day(bill.end)}.csv"`,
      });
    });
}
