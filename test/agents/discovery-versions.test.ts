import { afterEach, describe, expect, it } from 'vitest';
import { DegradedRegistry } from '../../agents/degraded';
import { collectionPath, NotServedError, RESOURCES } from '../../agents/discovery';
import { createSequence } from '../../agents/inventory';
import { type InventoryPipeline, startInventoryPipeline } from '../../agents/inventory-pipeline';
import { createJsonLogger } from '../../agents/log';
import type { InventorySnapshot, InventoryUpdate } from '../../functions/tunnel/inventory';
import {
  type KubeEmulator,
  NEWEST_MINOR,
  OLDEST_MINOR,
  startKubeEmulator,
} from '../support/kube-emulator';
import { clientFor, waitFor } from './support';

const log = createJsonLogger({ level: 'error' });
let emu: KubeEmulator | undefined;
let pipeline: InventoryPipeline | undefined;
afterEach(async () => {
  await pipeline?.stop();
  pipeline = undefined;
  await emu?.close();
  emu = undefined;
});

/** What each Kubernetes minor serves CronJobs at: v1beta1 until 1.20, both to 1.24, v1 from 1.25. */
const cronjobVersions = (minor: number) =>
  [minor >= 21 ? 'v1' : undefined, minor < 25 ? 'v1beta1' : undefined].filter(Boolean);

describe('discovery per Kubernetes version (1.19 – 1.32)', () => {
  const minors = Array.from(
    { length: NEWEST_MINOR - OLDEST_MINOR + 1 },
    (_, i) => OLDEST_MINOR + i,
  );

  it.each(minors)('1.%i: the emulator serves what that version serves', async (minor) => {
    emu = await startKubeEmulator({ version: `1.${minor}` });
    const { client } = await clientFor(emu);
    expect(await client.getJson('/version')).toMatchObject({ gitVersion: `v1.${minor}.0` });
    const groups = (await client.getJson('/apis')) as {
      groups: { name: string; versions: { version: string }[] }[];
    };
    const batch = groups.groups.find((g) => g.name === 'batch');
    expect(batch?.versions.map((v) => v.version)).toEqual(
      minor < 21 ? ['v1', 'v1beta1'] : minor < 25 ? ['v1', 'v1beta1'] : ['v1'],
    );
    for (const version of ['v1', 'v1beta1']) {
      const res = await client.request({ path: `/apis/batch/${version}/cronjobs` });
      await res.text();
      expect(res.status).toBe(cronjobVersions(minor).includes(version) ? 200 : 404);
    }
    client.close();
  });

  it.each(minors)(
    '1.%i: the agent reads CronJobs at the version served and syncs everything',
    async (minor) => {
      emu = await startKubeEmulator({
        version: `1.${minor}`,
        cluster: { nodes: 2, namespaces: 2, pods: 6, cronjobsPerNamespace: 2 },
      });
      const { client } = await clientFor(emu);
      expect(await collectionPath(client, RESOURCES.cronjobs)).toBe(
        `/apis/batch/${cronjobVersions(minor)[0]}/cronjobs`,
      );
      const sent: InventoryUpdate[] = [];
      const degraded = new DegradedRegistry();
      pipeline = startInventoryPipeline({
        client,
        log,
        send: (u) => sent.push(u),
        sequence: createSequence(),
        degraded,
      });
      pipeline.tracker.setActive(true);
      const snapshot = (await waitFor(() =>
        sent.find((u) => u.type === 'snapshot'),
      )) as InventorySnapshot;
      expect(pipeline.informers.every((i) => i.hasSynced)).toBe(true);
      expect(degraded.list()).toEqual([]);
      expect(snapshot.nodes).toHaveLength(2);
      expect(snapshot.namespaces.reduce((n, ns) => n + ns.workloads.cronjobs, 0)).toBe(4);
      client.close();
    },
  );

  it('a resource served at none of its versions is NotServed (and names what was tried)', async () => {
    emu = await startKubeEmulator({ version: '1.30', unserved: ['cronjobs'] });
    const { client } = await clientFor(emu);
    await expect(collectionPath(client, RESOURCES.cronjobs)).rejects.toThrow(NotServedError);
    await expect(collectionPath(client, RESOURCES.cronjobs)).rejects.toThrow(
      'tried batch/v1, batch/v1beta1',
    );
    client.close();
  });
});
