import type { z } from 'zod';
import type { clusterView } from '../../clusters/schemas';
import type { I18n } from '../i18n';
import { Csrf } from '../layout';
import { StatusBadge } from './overview';

export type ClusterView = z.infer<typeof clusterView>;

export interface Registration {
  cluster: ClusterView;
  joinToken: string;
  manifest: string;
}

/** Every visible cluster, and the register form for those who may create clusters. */
export function ClusterListBody(props: {
  i18n: I18n;
  csrf: string;
  clusters: ClusterView[];
  nextCursor?: string | undefined;
  mayRegister: boolean;
  error?: string | undefined;
}) {
  const { i18n, csrf, clusters } = props;
  const { t } = i18n;
  return (
    <>
      {props.error ? (
        <p class="notice error" role="alert">
          {props.error}
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
                <StatusBadge i18n={i18n} name={cl.name} status={cl.status} />
              </div>
              {cl.description ? <div>{cl.description}</div> : null}
              <div class="muted">
                {t('overview.ready', { ready: cl.nodes.ready, total: cl.nodes.total })} ·{' '}
                {t('overview.edgeNodes', { count: cl.nodes.edge })} · {t('clusters.version')}{' '}
                {cl.kubernetesVersion ?? '–'} · {t('clusters.lastSeen')}{' '}
                {cl.lastSeen ? i18n.dateTime(cl.lastSeen) : t('clusters.never')}
              </div>
            </li>
          ))}
        </ul>
      )}
      {props.nextCursor ? (
        <p>
          <a href={`/ui/clusters?cursor=${encodeURIComponent(props.nextCursor)}`}>→</a>
        </p>
      ) : null}
      {props.mayRegister ? (
        <section class="card" aria-labelledby="register">
          <h2 id="register">{t('clusters.register')}</h2>
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
            />
            <span id="name-hint" class="muted">
              {t('clusters.nameHint')}
            </span>
            <label for="description">{t('clusters.description')}</label>
            <input id="description" name="description" maxlength={256} />
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

/** Shown once after registering or rotating: the token, the agent command and the manifest. */
export function RegistrationBody({
  i18n,
  registration,
  hubUrl,
}: {
  i18n: I18n;
  registration: Registration;
  hubUrl: string;
}) {
  const { t } = i18n;
  return (
    <section class="card" aria-labelledby="join">
      <h2 id="join">{t('cluster.joinToken')}</h2>
      <p class="notice" role="status">
        {t('cluster.tokenOnce')}
      </p>
      <label for="token">{t('cluster.joinToken')}</label>
      <input id="token" readonly value={registration.joinToken} data-copy />
      <label for="command">{t('cluster.agentCommand')}</label>
      <pre id="command" data-copy>
        {agentCommand(hubUrl, registration.joinToken)}
      </pre>
      <label for="manifest">{t('cluster.manifest')}</label>
      <textarea id="manifest" readonly rows={8} data-copy>
        {registration.manifest}
      </textarea>
      <p>
        <a href={`/ui/clusters/${registration.cluster.name}`}>{registration.cluster.name} →</a>
      </p>
    </section>
  );
}
