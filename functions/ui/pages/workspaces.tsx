import type { z } from 'zod';
import type { memberSchema, namespaceSchema, workspaceSchema } from '../../iam/schemas';
import type { QuotaView } from '../../quotas/schemas';
import type { I18n, MessageKey } from '../i18n';
import { Csrf } from '../layout';
import { workspaceRoles } from '../workspace-rights';
import { DangerLink } from './confirm';

export type WorkspaceItem = z.infer<typeof workspaceSchema>;
export type MemberItem = z.infer<typeof memberSchema>;
export type WorkspaceNamespace = z.infer<typeof namespaceSchema>;

export function WorkspaceListBody({
  i18n,
  workspaces,
}: {
  i18n: I18n;
  workspaces: WorkspaceItem[];
}) {
  if (workspaces.length === 0) return <p class="muted">{i18n.t('workspaces.none')}</p>;
  return (
    <ul class="list card">
      {workspaces.map((w) => (
        <li>
          <div class="row">
            <a href={`/ui/workspaces/${w.name}`}>{w.name}</a>
          </div>
          {w.description ? <div class="muted">{w.description}</div> : null}
        </li>
      ))}
    </ul>
  );
}

/** A refused member form: the API's reason (or the fields it lacked) and what was typed. */
export interface MemberProblem {
  message: string | undefined;
  fields: string[];
  typed: { user?: string; role?: string };
}

export interface WorkspaceDetailProps {
  i18n: I18n;
  csrf: string;
  ws: string;
  rights: { add: boolean; change: boolean; remove: boolean };
  notice?: string | undefined;
  problem?: MemberProblem | undefined;
  members: MemberItem[] | undefined;
  namespaces: WorkspaceNamespace[] | undefined;
  quota: QuotaView | undefined;
}

/** One workspace: members with roles, namespaces by cluster, quota hard/used when one is set. */
const roleLabel = (i18n: I18n, role: string) =>
  (workspaceRoles as readonly string[]).includes(role)
    ? i18n.t(`role.${role}` as MessageKey)
    : role;

/** A quota key (`requests.cpu`, `pods`) in words; unknown keys as they are. */
const quotaLabel = (i18n: I18n, key: string) => {
  const known = [
    'cpu',
    'memory',
    'pods',
    'requests.cpu',
    'requests.memory',
    'limits.cpu',
    'limits.memory',
    'requests.storage',
    'persistentvolumeclaims',
    'services',
  ];
  return known.includes(key) ? i18n.t(`quota.${key}` as MessageKey) : key;
};

function RoleSelect({ i18n, id, selected }: { i18n: I18n; id: string; selected: string }) {
  return (
    <select id={id} name="role">
      {workspaceRoles.map((r) => (
        <option value={r} selected={r === selected}>
          {roleLabel(i18n, r)}
        </option>
      ))}
    </select>
  );
}

/** Members with their roles; add, change and remove for those the members API allows. */
function Members({
  i18n,
  csrf,
  ws,
  rights,
  members,
  notice,
  problem,
}: WorkspaceDetailProps & { members: MemberItem[] }) {
  const { t } = i18n;
  const base = `/ui/workspaces/${ws}/members`;
  return (
    <section class="card" aria-labelledby="members">
      <h2 id="members">
        {t('workspaces.members')} ({t('members.count', { count: members.length })})
      </h2>
      {notice ? (
        <p class="notice" role="status">
          {notice}
        </p>
      ) : null}
      <ul class="list">
        {members.map((m, i) => (
          <li>
            <div class="row">
              <strong>{m.user}</strong>
              {rights.change ? null : <span class="badge">{roleLabel(i18n, m.role)}</span>}
            </div>
            {rights.change || rights.remove ? (
              <div class="inline">
                {rights.change ? (
                  <form method="post" action={`${base}/${m.user}/role`} class="inline">
                    <Csrf token={csrf} />
                    <div>
                      <label for={`role-${i}`}>{t('members.roleOf', { user: m.user })}</label>
                      <RoleSelect i18n={i18n} id={`role-${i}`} selected={m.role} />
                    </div>
                    <button type="submit" class="quiet">
                      {t('members.change')}
                    </button>
                  </form>
                ) : null}
                {rights.remove ? (
                  <DangerLink
                    href={`${base}/${m.user}/remove`}
                    label={t('members.remove')}
                    name={m.user}
                  />
                ) : null}
              </div>
            ) : null}
          </li>
        ))}
      </ul>
      {rights.add ? (
        <form method="post" action={base}>
          <h3>{t('members.add')}</h3>
          {problem ? (
            <div class="notice error" role="alert" id="member-problem">
              {problem.message ? (
                <p>{t('edit.failed', { message: problem.message })}</p>
              ) : (
                <p>
                  {t('members.user')}: {t('form.required')}
                </p>
              )}
            </div>
          ) : null}
          <Csrf token={csrf} />
          <div class="inline">
            <div>
              <label for="m-user">{t('members.user')}</label>
              <input
                id="m-user"
                name="user"
                required
                maxlength={63}
                autocomplete="off"
                value={problem?.typed.user ?? ''}
                aria-invalid={problem ? 'true' : undefined}
                autofocus={problem ? true : undefined}
              />
            </div>
            <div>
              <label for="m-role">{t('workspaces.role')}</label>
              <RoleSelect
                i18n={i18n}
                id="m-role"
                selected={problem?.typed.role ?? 'workspace-viewer'}
              />
            </div>
            <button type="submit">{t('members.addSubmit')}</button>
          </div>
        </form>
      ) : null}
    </section>
  );
}

/** One workspace: members (with management), namespaces by cluster, quota hard/used when set. */
export function WorkspaceDetailBody(props: WorkspaceDetailProps) {
  const { i18n, members, namespaces, quota } = props;
  const { t } = i18n;
  const quotaNames = quota ? Object.keys(quota.hard) : [];
  return (
    <>
      <p>
        <a href={`/ui/workspaces/${props.ws}/apps`}>{t('apps.link')}</a>
      </p>
      {members ? <Members {...props} members={members} /> : null}
      {namespaces ? (
        <section class="card" aria-labelledby="namespaces">
          <h2 id="namespaces">{t('workspaces.namespaces')}</h2>
          {namespaces.length === 0 ? (
            <p class="muted">{t('cluster.none')}</p>
          ) : (
            <ul class="list">
              {namespaces.map((ns) => (
                <li class="row">
                  <span>{ns.name}</span>
                  <a href={`/ui/clusters/${ns.cluster}`}>{ns.cluster}</a>
                </li>
              ))}
            </ul>
          )}
        </section>
      ) : null}
      {quota && quotaNames.length > 0 ? (
        <section class="card" aria-labelledby="quota">
          <h2 id="quota">{t('workspaces.quota')}</h2>
          <div class="table-wrap" data-live="quota">
            <table>
              <tbody>
                {quotaNames.map((name) => (
                  <tr>
                    <th scope="row">{quotaLabel(i18n, name)}</th>
                    <td>
                      {quota.used[name] ?? '0'} / {quota.hard[name]}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      ) : null}
    </>
  );
}
