import type { z } from 'zod';
import type { clusterView } from '../../clusters/schemas';
import type { ClusterHealth } from '../../overview/schemas';
import type { FormProblem } from '../forms/form-problem';
import type { I18n } from '../i18n';
import { Csrf } from '../layout';
import { Copyable } from './copyable';
import { FormProblemNote, firstInvalid, invalidMark } from './form-problem';
import { StatusBadge } from './overview';

export type ClusterView = z.infer<typeof clusterView>;

export interface Registration {
  cluster: ClusterView;
  joinToken: string;
  manifest: string;
}

/** Nodes as a line: counts when connected, unknown with the last data time when not. */
export function nodesLine(i18n: I18n, cl: Pick<ClusterView, 'status' | 'nodes' | 'lastSeen'>) {
  const { t } = i18n;
  if (cl.status === 'connected')
    return t('overview.ready', { ready: cl.nodes.ready, total: cl.nodes.total });
  if (cl.status === 'disconnected')
    return t('overview.nodesUnknown', {
      time: cl.lastSeen ? i18n.ago(cl.lastSeen) : t('clusters.never'),
    });
  return t('overview.noData');
}

/** Every visible cluster, and the register form for those who may create clusters. */
export function ClusterListBody(props: {
  i18n: I18n;
  csrf: string;
  clusters: (ClusterView & { health: ClusterHealth })[];
  nextCursor?: string | undefined;
  mayRegister: boolean;
  notice?: string | undefined;
  /** A refused registration: the problem beside the form, what was typed in it. */
  problem?: FormProblem | undefined;
}) {
  const { i18n, csrf, clusters, problem } = props;
  const typed = problem?.values ?? {};
  const { t } = i18n;
  return (
    <>
      {props.notice ? (
        <p class="notice" role="status">
          {props.notice}
        </p>
      ) : null}
      {clusters.length === 0 ? (
        <p class="muted">{t('overview.noClusters')}</p>
      ) : (
        <ul class="list card">
          {clusters.map((cl) => (
            <li>
              <div class="row">
                <a href={`/ui/clusters/${cl.name}`}>{cl.name}</a>
                <StatusBadge i18n={i18n} name={cl.name} health={cl.health} />
              </div>
              {cl.description ? <div>{cl.description}</div> : null}
              <div class="muted" data-live={`cluster.${cl.name}.line`}>
                {nodesLine(i18n, cl)} · {t('overview.edgeNodes', { count: cl.nodes.edge })} ·{' '}
                {t('clusters.version')} {cl.kubernetesVersion ?? '–'} · {t('clusters.lastSeen')}{' '}
                {cl.lastSeen ? i18n.dateTime(cl.lastSeen) : t('clusters.never')}
              </div>
            </li>
          ))}
        </ul>
      )}
      {props.nextCursor ? (
        <p>
          <a class="button" href={`/ui/clusters?cursor=${encodeURIComponent(props.nextCursor)}`}>
            {t('paging.next')}
          </a>
        </p>
      ) : null}
      {props.mayRegister ? (
        <section class="card" aria-labelledby="register">
          <h2 id="register">{t('clusters.register')}</h2>
          {problem ? <FormProblemNote i18n={i18n} problem={problem} /> : null}
          <form method="post" action="/ui/clusters">
            <Csrf token={csrf} />
            <label for="name">{t('clusters.name')}</label>
            <input
              id="name"
              name="name"
              required
              maxlength={63}
              pattern="[a-z0-9]([\-a-z0-9]*[a-z0-9])?"
              aria-describedby="name-hint"
              value={typed.name ?? ''}
              aria-invalid={invalidMark(problem, 'cluster', 'name')}
              autofocus={firstInvalid(problem, 'cluster', 'name') ?? (problem ? true : undefined)}
            />
            <span id="name-hint" class="muted">
              {t('clusters.nameHint')}
            </span>
            <label for="description">{t('clusters.description')}</label>
            <input
              id="description"
              name="description"
              maxlength={256}
              value={typed.description ?? ''}
              aria-invalid={invalidMark(problem, 'cluster', 'description')}
              autofocus={firstInvalid(problem, 'cluster', 'description')}
            />
            <p>
              <button type="submit">{t('clusters.registerSubmit')}</button>
            </p>
          </form>
        </section>
      ) : null}
    </>
  );
}

/** The agent's command line for a join token (docs/agent.md), beside the manifest. */
export const agentCommand = (hubUrl: string, token: string) =>
  `npm run agent -- --hub ${hubUrl} --token ${token}`;

/**
 * Shown once after registering or rotating (the GET after the form's
 * redirect): the token, the agent command and the manifest first, each with
 * a Copy button; then what to do next.
 */
export function RegistrationBody({
  i18n,
  cluster,
  token,
  manifest,
  hubUrl,
}: {
  i18n: I18n;
  cluster: string;
  token: string;
  manifest: string;
  hubUrl: string;
}) {
  const { t } = i18n;
  return (
    <section class="card" aria-labelledby="join">
      <h2 id="join">{t('cluster.joinToken')}</h2>
      <p class="notice" role="status">
        {t('cluster.tokenOnce')}
      </p>
      <Copyable i18n={i18n} id="token" label={t('cluster.joinToken')} value={token} />
      <Copyable
        i18n={i18n}
        id="command"
        label={t('cluster.agentCommand')}
        value={agentCommand(hubUrl, token)}
      />
      <Copyable
        i18n={i18n}
        id="manifest"
        label={t('cluster.manifest')}
        value={manifest}
        wrap={false}
      />
      <p>
        <a class="button" href={`/ui/clusters/${cluster}`}>
          {t('cluster.openCluster', { name: cluster })}
        </a>
      </p>
    </section>
  );
}

/** A reload of the result page, or a lost cookie: the secret is gone; say how to get a new one. */
export function AlreadyShownBody({ i18n, cluster }: { i18n: I18n; cluster: string }) {
  const { t } = i18n;
  return (
    <section class="card">
      <p class="notice" role="status">
        {t('cluster.alreadyShown')}
      </p>
      <p>
        <a class="button" href={`/ui/clusters/${cluster}`}>
          {t('cluster.openCluster', { name: cluster })}
        </a>
      </p>
    </section>
  );
}
