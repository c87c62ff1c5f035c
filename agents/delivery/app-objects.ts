import type { KubeObject } from '../../protocol/delivery';
import { KubeError } from '../kube';
import type { Logger } from '../log';
import type { AppRecord } from './app-record';
import type { DeliveryApi } from './delivery-api';
import { AGENT_READABLE } from './kinds';
import { appSelector, kindKey } from './objects';

/**
 * The app's objects of a kind, read with the agent's credentials where it
 * may, else as the app's editor; a kind neither may list is skipped.
 */
export async function listOfApp(
  api: DeliveryApi,
  log: Logger,
  record: AppRecord,
  apiVersion: string,
  kind: string,
): Promise<KubeObject[]> {
  const readable = AGENT_READABLE.has(kindKey(apiVersion, kind));
  try {
    return (
      (await api.list(
        apiVersion,
        kind,
        appSelector(record.appId),
        record.namespace,
        readable ? undefined : record.identity,
      )) ?? []
    );
  } catch (error) {
    if (error instanceof KubeError && [401, 403, 404, 405].includes(error.status)) {
      log.debug('cannot list for the app', { appId: record.appId, kind, error: error.message });
      return [];
    }
    throw error;
  }
}
