import type { Child } from 'hono/jsx';
import type { z } from 'zod';
import type { eventSummary, namespaceSummary, nodeSummary } from '../../../protocol/tunnel';
import type { AlertView } from '../../alerting/alert-groups';
import type { I18n } from '../i18n';
import { Csrf } from '../layout';
import { AlertList } from './alerts';
import type { ClusterView } from './clusters';
import { StatusBadge } from './overview';

export type NodeItem = z.infer<typeof nodeSummary>;
export type NamespaceItem = z.infer<typeof namespaceSummary>;
export type EventItem = z.infer<typeof eventSummary>;

/** A list the caller may not read (403) is shown as such, not as empty. */
export type Listing<T> = { allowed: true; items: T[] } | { allowed: false };

export interface ClusterDetailProps {
  i18n: I18n;
  csrf: string;
  cluster: ClusterView;
  nodes: Listing<NodeItem>;
  edgeNodes: Listing<NodeItem>;
  namespaces: Listing<NamespaceItem>;
  events: Listing<EventItem>;
  alerts: AlertView[];
  mayAdminister: boolean;
  edgeCommand?: string | undefined;
  error?: string | undefined;
}

function Section<T>({
  i18n,
  id,
  title,
  listing,
  render,
}: {
  i18n: I18n;
  id: string;
  title: string;
  listing: Listing<T>;
  render: (items: T[]) => Child;
}) {
  return (
    <section class="card" aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      {!listing.allowed ? (
        <p class="muted">{i18n.t('cluster.notAllowed')}</p>
      ) : listing.items.length === 0 ? (
        <p class="muted">{i18n.t('cluster.none')}</p>
      ) : (
        render(listing.items)
      )}
    </section>
  );
}

const NodeTable = ({ i18n, nodes }: { i18n: I18n; nodes: NodeItem[] }) => (
  <div class="table-wrap">
    <table>
      <thead>
        <tr>
          <th scope="col">{i18n.t('common.name')}</th>
          <th scope="col">{i18n.t('common.status')}</th>
          <th scope="col">{i18n.t('node.roles')}</th>
          <th scope="col">{i18n.t('node.kubelet')}</th>
        </tr>
      </thead>
      <tbody>
        {nodes.map((n) => (
          <tr>
            <td>{n.name}</td>
            <td class={n.ready ? 's-connected' : 's-disconnected'}>
              {i18n.t(n.ready ? 'node.ready' : 'node.notReady')}
            </td>
            <td>{n.roles.join(', ')}</td>
            <td>{n.kubeletVersion}</td>
          </tr>
        ))}
      </tbody>
    </table>
  </div>
);

/** One cluster: status, nodes, edge nodes, namespaces, recent warnings, alerts, admin forms. */
export function ClusterDetailBody(props: ClusterDetailProps) {
  const { i18n, csrf, cluster } = props;
  const { t } = i18n;
  const base = `/ui/clusters/${cluster.name}`;
  return (
    <>
      {props.error ? (
        <p class="notice error" role="alert">
          {props.error}
        </p>
      ) : null}
      <div class="card">
        <div class="row">
          <span>{cluster.description ?? ''}</span>
          <StatusBadge i18n={i18n} name={cluster.name} status={cluster.status} />
        </div>
        <p class="muted">
          {t('clusters.version')} {cluster.kubernetesVersion ?? '–'} · {cluster.platform ?? ''} ·{' '}
          {t('clusters.lastSeen')}{' '}
          {cluster.lastSeen ? i18n.dateTime(cluster.lastSeen) : t('clusters.never')}
        </p>
      </div>
      <Section
        i18n={i18n}
        id="alerts"
        title={t('cluster.alerts')}
        listing={{ allowed: true, items: props.alerts }}
        render={(alerts) => <AlertList i18n={i18n} csrf={csrf} alerts={alerts} />}
      />
      <Section
        i18n={i18n}
        id="nodes"
        title={t('cluster.nodes')}
        listing={props.nodes}
        render={(nodes) => <NodeTable i18n={i18n} nodes={nodes} />}
      />
      <Section
        i18n={i18n}
        id="edge-nodes"
        title={t('cluster.edgeNodes')}
        listing={props.edgeNodes}
        render={(nodes) => <NodeTable i18n={i18n} nodes={nodes} />}
      />
      <Section
        i18n={i18n}
        id="namespaces"
        title={t('cluster.namespaces')}
        listing={props.namespaces}
        render={(items) => (
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">{t('common.name')}</th>
                  <th scope="col">{t('ns.workspace')}</th>
                  <th scope="col">{t('ns.phase')}</th>
                  <th scope="col">{t('ns.pods')}</th>
                </tr>
              </thead>
              <tbody>
                {items.map((ns) => (
                  <tr>
                    <td>{ns.name}</td>
                    <td>{ns.workspace ?? '–'}</td>
                    <td>{ns.phase}</td>
                    <td>{i18n.number(ns.workloads.pods)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      />
      <Section
        i18n={i18n}
        id="events"
        title={t('cluster.events')}
        listing={props.events}
        render={(items) => (
          <ul class="list">
            {items.map((e) => (
              <li>
                <div class="row">
                  <strong class="sev-warning">{e.reason}</strong>
                  <span class="muted">
                    {e.lastTimestamp ? i18n.dateTime(e.lastTimestamp) : ''} ×{i18n.number(e.count)}
                  </span>
                </div>
                <div>
                  {e.involvedObject.kind}/{e.namespace ? `${e.namespace}/` : ''}
                  {e.involvedObject.name}
                </div>
                <div class="muted">{e.message}</div>
              </li>
            ))}
          </ul>
        )}
      />
      {props.mayAdminister ? (
        <>
          <section class="card" aria-labelledby="edge-join">
            <h2 id="edge-join">{t('cluster.edgeJoin')}</h2>
            {props.edgeCommand ? (
              <>
                <label for="edge-command">{t('cluster.edgeCommand')}</label>
                <pre id="edge-command">{props.edgeCommand}</pre>
              </>
            ) : null}
            <form method="post" action={`${base}/edge-join`}>
              <Csrf token={csrf} />
              <div class="inline">
                <div>
                  <label for="nodeName">{t('cluster.nodeName')}</label>
                  <input id="nodeName" name="nodeName" required maxlength={253} />
                </div>
                <div>
                  <label for="nodeIp">{t('cluster.nodeIp')}</label>
                  <input id="nodeIp" name="nodeIp" required maxlength={45} inputmode="decimal" />
                </div>
                <button type="submit">{t('cluster.generate')}</button>
              </div>
            </form>
          </section>
          <section class="card" aria-labelledby="rotate">
            <h2 id="rotate">{t('cluster.rotate')}</h2>
            <p class="muted">{t('cluster.rotateHint')}</p>
            <form method="post" action={`${base}/join-token`}>
              <Csrf token={csrf} />
              <button type="submit">{t('cluster.rotate')}</button>
            </form>
          </section>
        </>
      ) : null}
    </>
  );
}
