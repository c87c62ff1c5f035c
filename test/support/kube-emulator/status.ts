/** Kubernetes `Status` bodies, as the real API server returns them on errors. */
export interface KubeStatus {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure';
  message: string;
  reason: string;
  code: number;
  details?: Record<string, unknown>;
}

export function kubeStatus(
  code: number,
  reason: string,
  message: string,
  details?: Record<string, unknown>,
): KubeStatus {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    code,
    ...(details ? { details } : {}),
  };
}

export const statuses = {
  unauthorized: () => kubeStatus(401, 'Unauthorized', 'Unauthorized'),
  notFound: (plural: string, name: string) =>
    kubeStatus(404, 'NotFound', `${plural} "${name}" not found`, { name, kind: plural }),
  pathNotFound: (path: string) =>
    kubeStatus(404, 'NotFound', `the server could not find the requested resource (${path})`),
  alreadyExists: (plural: string, name: string) =>
    kubeStatus(409, 'AlreadyExists', `${plural} "${name}" already exists`, { name, kind: plural }),
  conflict: (plural: string, name: string) =>
    kubeStatus(
      409,
      'Conflict',
      `Operation cannot be fulfilled on ${plural} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
      { name, kind: plural },
    ),
  expiredContinue: () =>
    kubeStatus(
      410,
      'Expired',
      'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results.',
    ),
  tooOldResourceVersion: (requested: string, oldest: number) =>
    kubeStatus(410, 'Expired', `too old resource version: ${requested} (${oldest})`),
  badRequest: (message: string) => kubeStatus(400, 'BadRequest', message),
  methodNotAllowed: () =>
    kubeStatus(
      405,
      'MethodNotAllowed',
      'the server does not allow this method on the requested resource',
    ),
  forbidden: (user: string, verb: string, plural: string, group: string, namespace?: string) =>
    kubeStatus(
      403,
      'Forbidden',
      `${plural} is forbidden: User "${user}" cannot ${verb} resource "${plural}" in API group "${group}"${namespace ? ` in the namespace "${namespace}"` : ' at the cluster scope'}`,
      { kind: plural },
    ),
};
