import type { Context } from 'hono';
import { can } from '../iam/authorize';
import { visibleWorkspace } from '../iam/scopes';
import type { UiEnv } from './ui-env';

/** The built-in workspace roles offered in the forms (custom roles are typed by name in the API). */
export const workspaceRoles = [
  'workspace-admin',
  'workspace-regular',
  'workspace-viewer',
  'workspace-self-provisioner',
] as const;

/** Whether the user may add / change / remove members of the workspace (the members API's can()). */
export async function memberRights(c: Context<UiEnv>, ws: string) {
  const { scope } = await visibleWorkspace(c.get('db'), c.get('principal'), ws);
  const principal = c.get('principal');
  return {
    add: can(principal, 'create', 'members', scope),
    change: can(principal, 'update', 'members', scope),
    remove: can(principal, 'delete', 'members', scope),
  };
}
