import { platformScope, type Scope } from '../iam/authorize';

/**
 * Who a receiver or channel belongs to, as stored: `platform`,
 * `workspace:<id>` or `cluster:<id>`. It decides both who may manage it and
 * which alerts a receiver may see.
 */
export type Owner = string;

export const ownerOf = (ref: { workspaceId?: string; clusterId?: string }): Owner =>
  ref.workspaceId
    ? `workspace:${ref.workspaceId}`
    : ref.clusterId
      ? `cluster:${ref.clusterId}`
      : 'platform';

export function scopeOfOwner(owner: Owner): Scope {
  const [kind, id = ''] = owner.split(':');
  if (kind === 'workspace') return { level: 'workspace', workspaceId: id };
  if (kind === 'cluster') return { level: 'cluster', clusterId: id };
  return platformScope;
}
