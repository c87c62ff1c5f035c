import type { Child } from 'hono/jsx';
import type { z } from 'zod';
import type { eventSummary, namespaceSummary, nodeSummary } from '../../../protocol/tunnel';
import type { AlertView } from '../../alerting/alert-groups';
import type { ClusterHealth } from '../../overview/schemas';
import type { FormProblem } from '../forms/form-problem';
import type { I18n } from '../i18n';
import { Csrf } from '../layout';
import { AlertList } from './alerts';
import { type ClusterView, nodesLine } from './clusters';
import { DangerLink } from './confirm';
import { Copyable } from './copyable';
import { FormProblemNote, firstInvalid, invalidMark } from './form-problem';
import { StatusBadge } from './overview';
import { PageNav, pageOf } from './paging';

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
  /** Fingerprints of the alerts this user may silence (the silences API's own can()). */
  silenceable: Set<string>;
  health: ClusterHealth;
  mayAdminister: boolean;
  mayDelete: boolean;
  /** Node list filter and page (the list grows with the fleet). */
  nodeFilter: { status: 'all' | 'not-ready'; page: number };
  /** The alert list's page. */
  alertPage: number;
  edgeCommand?: string | undefined;
  /** A refused edge-join form: the problem beside it, what was typed in it. */
  problem?: FormProblem | undefined;
}

/** Nodes per page on a phone. */
export const NODES_PER_PAGE = 25;

function Section<T>({
  i18n,
  id,
  title,
  listing,
  render,
  live,
}: {
  i18n: I18n;
  id: string;
  title: Child;
  listing: Listing<T>;
  render: (items: T[]) => Child;
  /** The content's live key: only for content without form fields (a refresh would drop typing). */
  live?: string;
}) {
  const content = !listing.allowed ? (
    <p class="muted">{i18n.t('cluster.notAllowed')}</p>
  ) : listing.items.length === 0 ? (
    <p class="muted">{i18n.t('cluster.none')}</p>
  ) : (
    render(listing.items)
  );
  return (
    <section class="card" aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      {live ? <div data-live={live}>{content}</div> : content}
    </section>
  );
}

const NodeTable = ({
  i18n,
  nodes,
  known,
  base,
}: {
  i18n: I18n;
  nodes: NodeItem[];
  /** The cluster page's path: each node links to its page (usage, conditions) under it. */
  base: string;
  /** False while the cluster is disconnected: what the nodes last said is not their state now. */
  known: boolean;
}) => (
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
            <td>
              <a href={`${base}/nodes/${encodeURIComponent(n.name)}`}>{n.name}</a>
            </td>
            {known ? (
              <td class={n.ready ? 's-connected' : 's-disconnected'}>
                {i18n.t(n.ready ? 'node.ready' : 'node.notReady')}
              </td>
            ) : (
              <td class="muted">{i18n.t('node.unknown')}</td>
            )}
            <td>{n.roles.join(', ')}</td>
            <td>{n.kubeletVersion}</td>
          </tr>
        ))}
      </tbody>
    </table>
  </div>
);

/** Filter links and page links for the node list, all plain GETs with labels. */
function NodePaging({
  i18n,
  base,
  filter,
  total,
}: {
  i18n: I18n;
  base: string;
  filter: ClusterDetailProps['nodeFilter'];
  total: number;
}) {
  const { t } = i18n;
  const pages = Math.max(1, Math.ceil(total / NODES_PER_PAGE));
  const href = (status: string, page: number) =>
    `${base}?nodes=${status}${page > 1 ? `&page=${page}` : ''}#nodes`;
  return (
    <nav class="paging" aria-label={t('cluster.nodes')}>
      {(['all', 'not-ready'] as const).map((status) => (
        <a href={href(status, 1)} aria-current={filter.status === status ? 'true' : undefined}>
          {t(status === 'all' ? 'filter.all' : 'node.notReady')}
        </a>
      ))}
      {filter.page > 1 ? (
        <a href={href(filter.status, filter.page - 1)}>{t('paging.previous')}</a>
      ) : null}
      {filter.page < pages ? (
        <a href={href(filter.status, filter.page + 1)}>{t('paging.next')}</a>
      ) : null}
      <span class="muted">{t('paging.pageOf', { page: filter.page, pages })}</span>
    </nav>
  );
}

/** A cluster whose agent never connected: what to do, instead of empty cards. */
function PendingSteps({
  i18n,
  base,
  mayAdminister,
}: {
  i18n: I18n;
  base: string;
  mayAdminister: boolean;
}) {
  const { t } = i18n;
  return (
    <section class="card" aria-labelledby="next-steps">
      <h2 id="next-steps">{t('pending.title')}</h2>
      <ol>
        <li>{t('pending.step1')}</li>
        <li>{t('pending.step2')}</li>
        <li>{t('pending.step3')}</li>
      </ol>
      {mayAdminister ? (
        <p>
          <a class="button" href={`${base}/rotate`}>
            {t('pending.newToken')}
          </a>
        </p>
      ) : (
        <p class="muted">{t('pending.askAdmin')}</p>
      )}
    </section>
  );
}

/** One cluster: status, alerts, nodes, edge nodes, namespaces, recent warnings, admin actions. */
export function ClusterDetailBody(props: ClusterDetailProps) {
  const { i18n, csrf, cluster } = props;
  const { t } = i18n;
  const base = `/ui/clusters/${cluster.name}`;
  /** Keys of the parts the live script keeps current (docs/dashboard.md, Live updates). */
  const live = `cluster.${cluster.name}`;
  const known = cluster.status === 'connected';
  const pending = cluster.status === 'pending';
  const nodeListing = (listing: Listing<NodeItem>): Listing<NodeItem> => {
    if (!listing.allowed) return listing;
    const matching =
      props.nodeFilter.status === 'not-ready' && known
        ? listing.items.filter((n) => !n.ready)
        : listing.items;
    const start = (props.nodeFilter.page - 1) * NODES_PER_PAGE;
    return { allowed: true, items: matching.slice(start, start + NODES_PER_PAGE) };
  };
  const matchingNodes =
    props.nodes.allowed && props.nodeFilter.status === 'not-ready' && known
      ? props.nodes.items.filter((n) => !n.ready).length
      : props.nodes.allowed
        ? props.nodes.items.length
        : 0;
  return (
    <>
      {props.edgeCommand ? (
        <section class="card" aria-labelledby="edge-result">
          <h2 id="edge-result">{t('cluster.edgeCommand')}</h2>
          <p class="notice" role="status">
            {t('cluster.tokenOnce')}
          </p>
          <Copyable
            i18n={i18n}
            id="edge-command"
            label={t('cluster.edgeCommand')}
            value={props.edgeCommand}
          />
        </section>
      ) : null}
      <div class="card">
        <div class="row">
          <span>{cluster.description ?? ''}</span>
          <StatusBadge i18n={i18n} name={cluster.name} health={props.health} />
        </div>
        <p class="muted" data-live={`${live}.status`}>
          {nodesLine(i18n, cluster)} · {t('clusters.version')} {cluster.kubernetesVersion ?? '–'}
          {cluster.platform ? ` · ${cluster.platform}` : ''} · {t('clusters.lastSeen')}{' '}
          {cluster.lastSeen ? i18n.dateTime(cluster.lastSeen) : t('clusters.never')}
        </p>
      </div>
      {pending ? (
        <PendingSteps i18n={i18n} base={base} mayAdminister={props.mayAdminister} />
      ) : null}
      {pending && props.alerts.length === 0 ? null : (
        <Section
          i18n={i18n}
          id="alerts"
          title={
            <>
              {t('cluster.alerts')} (
              <span data-live={`${live}.alerts`}>{i18n.number(props.alerts.length)}</span>)
            </>
          }
          listing={{ allowed: true, items: props.alerts }}
          render={(alerts) => (
            <>
              <AlertList
                i18n={i18n}
                csrf={csrf}
                alerts={pageOf(alerts, props.alertPage)}
                silenceable={props.silenceable}
              />
              <PageNav
                i18n={i18n}
                label={t('cluster.alerts')}
                page={props.alertPage}
                total={alerts.length}
                href={(page) => `${base}?apage=${page}#alerts`}
              />
            </>
          )}
        />
      )}
      {pending ? null : (
        <>
          <Section
            i18n={i18n}
            id="nodes"
            live={`${live}.nodes`}
            title={t('cluster.nodes')}
            listing={nodeListing(props.nodes)}
            render={(nodes) => (
              <>
                {known ? null : (
                  <p class="notice">
                    {t('overview.nodesUnknown', {
                      time: cluster.lastSeen ? i18n.ago(cluster.lastSeen) : t('clusters.never'),
                    })}
                  </p>
                )}
                <NodeTable i18n={i18n} nodes={nodes} known={known} base={base} />
                <NodePaging
                  i18n={i18n}
                  base={base}
                  filter={props.nodeFilter}
                  total={matchingNodes}
                />
              </>
            )}
          />
          <Section
            i18n={i18n}
            id="edge-nodes"
            live={`${live}.edge-nodes`}
            title={t('cluster.edgeNodes')}
            listing={props.edgeNodes}
            render={(nodes) => <NodeTable i18n={i18n} nodes={nodes} known={known} base={base} />}
          />
          <Section
            i18n={i18n}
            id="namespaces"
            live={`${live}.namespaces`}
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
            live={`${live}.events`}
            title={t('cluster.events')}
            listing={props.events}
            render={(items) => (
              <ul class="list">
                {items.map((e) => (
                  <li>
                    <div class="row">
                      <strong class="sev-warning">{e.reason}</strong>
                      <span class="muted">
                        {e.lastTimestamp ? i18n.dateTime(e.lastTimestamp) : ''} ×
                        {i18n.number(e.count)}
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
        </>
      )}
      {props.mayAdminister ? (
        <>
          <section class="card" aria-labelledby="edge-join">
            <h2 id="edge-join">{t('cluster.edgeJoin')}</h2>
            {props.problem ? <FormProblemNote i18n={i18n} problem={props.problem} /> : null}
            <form method="post" action={`${base}/edge-join`}>
              <Csrf token={csrf} />
              <div class="inline">
                <div>
                  <label for="nodeName">{t('cluster.nodeName')}</label>
                  <input
                    id="nodeName"
                    name="nodeName"
                    required
                    maxlength={253}
                    value={props.problem?.values.nodeName ?? ''}
                    aria-invalid={invalidMark(props.problem, 'edge', 'nodeName')}
                    autofocus={
                      firstInvalid(props.problem, 'edge', 'nodeName') ??
                      (props.problem && !firstInvalid(props.problem, 'edge', 'nodeIp')
                        ? true
                        : undefined)
                    }
                  />
                </div>
                <div>
                  <label for="nodeIp">{t('cluster.nodeIp')}</label>
                  <input
                    id="nodeIp"
                    name="nodeIp"
                    required
                    maxlength={45}
                    inputmode="decimal"
                    value={props.problem?.values.nodeIp ?? ''}
                    aria-invalid={invalidMark(props.problem, 'edge', 'nodeIp')}
                    autofocus={firstInvalid(props.problem, 'edge', 'nodeIp')}
                  />
                </div>
                <button type="submit">{t('cluster.generate')}</button>
              </div>
            </form>
          </section>
          <section class="card" aria-labelledby="rotate">
            <h2 id="rotate">{t('cluster.rotate')}</h2>
            <p class="muted">{t('cluster.rotateHint')}</p>
            <DangerLink href={`${base}/rotate`} label={t('cluster.rotate')} />
          </section>
        </>
      ) : null}
      {props.mayDelete ? (
        <section class="card" aria-labelledby="delete-cluster">
          <h2 id="delete-cluster">{t('cluster.delete')}</h2>
          <p class="muted">{t('cluster.deleteHint')}</p>
          <DangerLink href={`${base}/delete`} label={t('cluster.delete')} />
        </section>
      ) : null}
    </>
  );
}
