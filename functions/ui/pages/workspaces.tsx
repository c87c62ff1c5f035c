import type { z } from 'zod';
import type { memberSchema, namespaceSchema, workspaceSchema } from '../../iam/schemas';
import type { QuotaView } from '../../quotas/schemas';
import type { I18n } from '../i18n';

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

export interface WorkspaceDetailProps {
  i18n: I18n;
  members: MemberItem[] | undefined;
  namespaces: WorkspaceNamespace[] | undefined;
  quota: QuotaView | undefined;
}

/** One workspace: members with roles, namespaces by cluster, quota hard/used when one is set. */
export function WorkspaceDetailBody({ i18n, members, namespaces, quota }: WorkspaceDetailProps) {
  const { t } = i18n;
  const quotaNames = quota ? Object.keys(quota.hard) : [];
  return (
    <>
      {members ? (
        <section class="card" aria-labelledby="members">
          <h2 id="members">{t('workspaces.members')}</h2>
          <ul class="list">
            {members.map((m) => (
              <li class="row">
                <span>{m.user}</span>
                <span class="badge">{m.role}</span>
              </li>
            ))}
          </ul>
        </section>
      ) : null}
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
          <div class="table-wrap">
            <table>
              <tbody>
                {quotaNames.map((name) => (
                  <tr>
                    <th scope="row">{name}</th>
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
