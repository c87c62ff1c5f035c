import type { NodeFigures } from '../monitoring/node-metrics';
import type { NodeDetail } from '../monitoring/node-schemas';
import type { I18n } from './i18n';
import { SeriesChart } from './monitoring-chart';
import { MonitoringStyles } from './monitoring-pages';
import { formatValue } from './monitoring-units';

const enc = encodeURIComponent;

/** A usage bar with its figure, or the reason there is none (never a made-up 0). */
export function UsageBar(props: {
  i18n: I18n;
  label: string;
  ratio: number | null | undefined;
  text: string | undefined;
  missing: string | undefined;
}) {
  const { i18n } = props;
  if (props.text === undefined)
    return (
      <span class="muted small" title={props.missing}>
        {i18n.t('nodes.notAvailable')}
      </span>
    );
  return (
    <span class="usage">
      {props.ratio === null || props.ratio === undefined ? null : (
        <meter
          min={0}
          max={1}
          low={0.7}
          high={0.9}
          optimum={0}
          value={props.ratio}
          aria-label={props.label}
        >
          {Math.round(props.ratio * 100)}%
        </meter>
      )}
      <span>{props.text}</span>
    </span>
  );
}

const cpuText = (f: NodeFigures) =>
  f.cpu
    ? `${formatValue(f.cpu.usedCores, 'cores')}${f.cpu.capacityCores ? ` / ${formatValue(f.cpu.capacityCores, 'cores')}` : ''}`
    : undefined;
const memoryText = (f: NodeFigures) =>
  f.memory
    ? `${formatValue(f.memory.usedBytes, 'bytes')}${f.memory.capacityBytes ? ` / ${formatValue(f.memory.capacityBytes, 'bytes')}` : ''}`
    : undefined;
const diskText = (f: NodeFigures) =>
  f.disk
    ? `${formatValue(f.disk.usedBytes, 'bytes')} / ${formatValue(f.disk.totalBytes, 'bytes')}`
    : undefined;
const networkText = (i18n: I18n, f: NodeFigures) =>
  f.network
    ? i18n.t('nodes.rxTx', {
        rx: formatValue(f.network.receiveBytesPerSecond, 'bytes/s'),
        tx: formatValue(f.network.transmitBytesPerSecond, 'bytes/s'),
      })
    : undefined;

/** When the figures are not live: since when they are, or that there are none. */
export function StaleNote({
  i18n,
  live,
  collectedAt,
}: {
  i18n: I18n;
  live: boolean;
  collectedAt: string | null;
}) {
  if (live) return null;
  return (
    <p class="notice" role="status">
      {collectedAt
        ? i18n.t('nodes.lastKnown', { time: i18n.dateTime(collectedAt) })
        : i18n.t('nodes.noLastKnown')}
    </p>
  );
}

/** Node usage on the cluster page: one row per node with links to the node pages. */
export function NodeUsageTable(props: {
  i18n: I18n;
  cluster: string;
  items: NodeFigures[];
  live: boolean;
  collectedAt: string | null;
}) {
  const { i18n } = props;
  const { t } = i18n;
  return (
    <>
      <MonitoringStyles />
      <StaleNote i18n={i18n} live={props.live} collectedAt={props.collectedAt} />
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">{t('nodes.node')}</th>
              <th scope="col">{t('nodes.cpu')}</th>
              <th scope="col">{t('nodes.memory')}</th>
              <th scope="col">{t('nodes.disk')}</th>
            </tr>
          </thead>
          <tbody>
            {props.items.map((f) => (
              <tr>
                <th scope="row">
                  <a href={`/ui/clusters/${enc(props.cluster)}/nodes/${enc(f.name)}`}>{f.name}</a>
                  {f.edge ? <span class="badge"> {t('nodes.edgeBadge')}</span> : null}
                </th>
                <td>
                  <UsageBar
                    i18n={i18n}
                    label={t('nodes.cpu')}
                    ratio={f.cpu?.ratio}
                    text={cpuText(f)}
                    missing={f.missing.cpu}
                  />
                </td>
                <td>
                  <UsageBar
                    i18n={i18n}
                    label={t('nodes.memory')}
                    ratio={f.memory?.ratio}
                    text={memoryText(f)}
                    missing={f.missing.memory}
                  />
                </td>
                <td>
                  <UsageBar
                    i18n={i18n}
                    label={t('nodes.disk')}
                    ratio={f.disk?.ratio}
                    text={diskText(f)}
                    missing={f.missing.disk}
                  />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

export function NodePageBody(props: {
  i18n: I18n;
  cluster: string;
  detail: NodeDetail;
  history: string;
}) {
  const { i18n, detail } = props;
  const { t } = i18n;
  const { node, figures } = detail;
  const rows: [string, string | undefined, number | null | undefined, string | undefined][] = [
    [t('nodes.cpu'), cpuText(figures), figures.cpu?.ratio, figures.missing.cpu],
    [t('nodes.memory'), memoryText(figures), figures.memory?.ratio, figures.missing.memory],
    [t('nodes.disk'), diskText(figures), figures.disk?.ratio, figures.missing.disk],
    [t('nodes.network'), networkText(i18n, figures), undefined, figures.missing.network],
  ];
  const base = `/ui/clusters/${enc(props.cluster)}/nodes/${enc(node.name)}`;
  return (
    <>
      <MonitoringStyles />
      <p>
        <a href={`/ui/clusters/${enc(props.cluster)}#nodes`}>← {props.cluster}</a>
      </p>
      <StaleNote i18n={i18n} live={detail.live} collectedAt={detail.collectedAt} />
      <section class="card" aria-labelledby="facts">
        <h2 id="facts">{t('nodes.facts')}</h2>
        <dl>
          <dt>{t('nodes.kind')}</dt>
          <dd>{node.edge ? t('nodes.edge') : t('nodes.cloud')}</dd>
          <dt>{t('nodes.state')}</dt>
          <dd>
            {t(node.ready ? 'node.ready' : 'node.notReady')}
            {node.unschedulable ? ` · ${t('nodes.cordoned')}` : ''}
          </dd>
          <dt>{t('node.roles')}</dt>
          <dd>{node.roles.join(', ') || '–'}</dd>
          <dt>{t('node.kubelet')}</dt>
          <dd>{node.kubeletVersion}</dd>
          <dt>{t('nodes.addresses')}</dt>
          <dd>{node.addresses.map((a) => `${a.type} ${a.address}`).join(' · ') || '–'}</dd>
        </dl>
      </section>
      <section class="card" aria-labelledby="usage">
        <h2 id="usage">{t('nodes.usage')}</h2>
        <dl>
          {rows.map(([label, text, ratio, missing]) => (
            <>
              <dt>{label}</dt>
              <dd>
                <UsageBar i18n={i18n} label={label} ratio={ratio} text={text} missing={missing} />
                {text === undefined && missing ? <span class="small muted"> {missing}</span> : null}
              </dd>
            </>
          ))}
        </dl>
      </section>
      <section class="card" aria-labelledby="history">
        <h2 id="history">{t('nodes.history')}</h2>
        <nav class="mrange" aria-label={t('nodes.history')}>
          {['1h', '6h', '24h'].map((h) => (
            <a
              href={`${base}?history=${h}`}
              aria-current={h === props.history ? 'page' : undefined}
            >
              {h}
            </a>
          ))}
        </nav>
        {detail.history ? (
          <div class="mgrid">
            <SeriesChart
              title={t('nodes.cpu')}
              unit="percent"
              lines={[
                {
                  label: t('nodes.cpu'),
                  points: detail.history.cpu.map(([ts, v]) => [ts, v * 100]),
                },
              ]}
              start={detail.history.start}
              end={detail.history.end}
              summaryLabel={t('nodes.cpu')}
            />
            <SeriesChart
              title={t('nodes.memory')}
              unit="percent"
              lines={[
                {
                  label: t('nodes.memory'),
                  points: detail.history.memory.map(([ts, v]) => [ts, v * 100]),
                },
              ]}
              start={detail.history.start}
              end={detail.history.end}
              summaryLabel={t('nodes.memory')}
            />
          </div>
        ) : (
          <p class="muted">{t('nodes.noHistory', { reason: detail.historyMissing ?? '–' })}</p>
        )}
      </section>
      <section class="card" aria-labelledby="conditions">
        <h2 id="conditions">{t('nodes.conditions')}</h2>
        {node.conditions ? (
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">{t('nodes.conditionType')}</th>
                  <th scope="col">{t('nodes.conditionStatus')}</th>
                  <th scope="col">{t('nodes.conditionReason')}</th>
                </tr>
              </thead>
              <tbody>
                {node.conditions.map((cond) => (
                  <tr>
                    <th scope="row">{cond.type}</th>
                    <td>{cond.status}</td>
                    <td>
                      {cond.reason ?? ''}
                      {cond.lastTransitionTime ? (
                        <span class="muted small"> · {i18n.dateTime(cond.lastTransitionTime)}</span>
                      ) : null}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : (
          <p class="muted">{t('nodes.conditionsUnknown')}</p>
        )}
      </section>
      {node.edge ? (
        <section class="card" aria-labelledby="logs">
          <h2 id="logs">{t('nodes.logs')}</h2>
          <p>{t('nodes.streamHelp')}</p>
        </section>
      ) : null}
    </>
  );
}
