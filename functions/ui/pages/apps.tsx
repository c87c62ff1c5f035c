import type { I18n, MessageKey } from '../i18n';
import { DangerLink } from './confirm';

/** One cluster entry of an app, as the apps API shows it (no Secret data ever comes back). */
export interface AppClusterView {
  cluster: string;
  state: string;
  message?: string;
  resources: { apiVersion: string; kind: string; name: string; ready: boolean; message?: string }[];
}

/** The part of the apps API's answer the pages read. */
export interface AppView {
  name: string;
  namespace: string;
  generation: number;
  status: {
    phase: 'Progressing' | 'Ready' | 'Degraded' | 'Halted' | 'Deleting';
    halted?: { cluster: string; message: string };
    clusters: AppClusterView[];
  };
}

const phaseClass: Record<AppView['status']['phase'], string> = {
  Ready: 'h-healthy',
  Progressing: 'sev-info',
  Degraded: 'sev-warning',
  Halted: 'sev-critical',
  Deleting: 'sev-info',
};

const Phase = ({ i18n, phase }: { i18n: I18n; phase: AppView['status']['phase'] }) => (
  <span class={`badge ${phaseClass[phase]}`}>{i18n.t(`apps.phase.${phase}` as MessageKey)}</span>
);

/** Halted, said plainly: which cluster stopped the rollout and why. */
const HaltedNotice = ({ i18n, app }: { i18n: I18n; app: AppView }) =>
  app.status.halted ? (
    <p class="notice error">
      {i18n.t('apps.haltedAt', { cluster: app.status.halted.cluster })}{' '}
      <span>{app.status.halted.message}</span>
    </p>
  ) : null;

/** Per-cluster states as a wrapping list (no table: a 360 px screen must not scroll sideways). */
const ClusterStates = ({ i18n, app }: { i18n: I18n; app: AppView }) => (
  <ul class="list">
    {app.status.clusters.map((cl) => (
      <li>
        <div class="row">
          <span>{cl.cluster}</span>
          <span class="badge">{i18n.t(`apps.state.${cl.state}` as MessageKey)}</span>
        </div>
        {cl.message ? <div class="muted wrap">{cl.message}</div> : null}
      </li>
    ))}
  </ul>
);

/**
 * A cluster entry with no report yet may carry its column default (the
 * string "[]") rather than an array: read anything else as "no resources".
 */
const resourcesOf = (cl: AppClusterView) => (Array.isArray(cl.resources) ? cl.resources : []);

export interface AppRights {
  edit: boolean;
  remove: boolean;
}

export function AppListBody(props: {
  i18n: I18n;
  ws: string;
  apps: AppView[];
  notice?: string | undefined;
  mayCreate: boolean;
}) {
  const { i18n, ws, apps } = props;
  const { t } = i18n;
  return (
    <>
      {props.notice ? <p class="notice">{props.notice}</p> : null}
      {props.mayCreate ? (
        <p>
          <a class="button" href={`/ui/workspaces/${ws}/apps/-/new`}>
            {t('apps.new')}
          </a>
        </p>
      ) : null}
      {apps.length === 0 ? <p class="muted">{t('apps.none')}</p> : null}
      {apps.map((app) => (
        <section class="card" aria-label={app.name}>
          <div class="row">
            <h2>
              <a href={`/ui/workspaces/${ws}/apps/${app.name}`}>{app.name}</a>
            </h2>
            <Phase i18n={i18n} phase={app.status.phase} />
          </div>
          <HaltedNotice i18n={i18n} app={app} />
          <ClusterStates i18n={i18n} app={app} />
        </section>
      ))}
    </>
  );
}

export function AppDetailBody(props: { i18n: I18n; ws: string; app: AppView; rights: AppRights }) {
  const { i18n, ws, app, rights } = props;
  const { t } = i18n;
  const base = `/ui/workspaces/${ws}/apps/${app.name}`;
  return (
    <>
      <section class="card" aria-labelledby="app">
        <div class="row">
          <h2 id="app">{app.name}</h2>
          <Phase i18n={i18n} phase={app.status.phase} />
        </div>
        <p class="muted">
          {t('label.namespace')} <b>{app.namespace}</b> · {t('apps.generation')}{' '}
          <b>{app.generation}</b>
        </p>
        <HaltedNotice i18n={i18n} app={app} />
        {rights.edit && app.status.phase !== 'Deleting' ? (
          <p>
            <a class="button" href={`${base}/edit`}>
              {t('apps.edit')}
            </a>
          </p>
        ) : null}
        {rights.remove ? (
          <DangerLink href={`${base}/delete`} label={t('apps.delete')} name={app.name} />
        ) : null}
      </section>
      {app.status.clusters.map((cl) => (
        <section class="card" aria-label={cl.cluster}>
          <div class="row">
            <h2>{cl.cluster}</h2>
            <span class="badge">{t(`apps.state.${cl.state}` as MessageKey)}</span>
          </div>
          {cl.message ? <p class="muted wrap">{cl.message}</p> : null}
          <ul class="list">
            {resourcesOf(cl).map((r) => (
              <li>
                <div class="row">
                  <span class="wrap">
                    {r.kind}/{r.name}
                  </span>
                  <span class={`badge ${r.ready ? 'h-healthy' : 'sev-warning'}`}>
                    {t(r.ready ? 'apps.ready' : 'apps.notReady')}
                  </span>
                </div>
                {r.message ? <div class="muted wrap">{r.message}</div> : null}
              </li>
            ))}
          </ul>
        </section>
      ))}
    </>
  );
}
