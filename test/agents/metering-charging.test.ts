import { describe, expect, it } from 'vitest';
import {
  alignedBoundary,
  aliveSeconds,
  chargePod,
  counterDelta,
  windowsBetween,
} from '../../agents/metering/charging';
import { buildWindows } from '../../agents/metering/window-builder';
import type { PodRecord } from '../../agents/projections';

const GiB = 2 ** 30;
/** 2026-12-01T10:00:00Z, an hour boundary. */
const HOUR = Date.UTC(2026, 11, 1, 10) / 1000;
const minute = { start: HOUR, end: HOUR + 60 };

const base = { requestCpuCores: 0.5, requestMemoryBytes: GiB, pvcBytes: 0 };

describe('charging: requests vs usage', () => {
  it('charges max(request, usage) × window in max mode, usage only in usage mode', () => {
    const below = { ...base, usageCpuCores: 0.2, usageMemoryBytes: 0.25 * GiB };
    expect(chargePod(below, minute, 'max')).toMatchObject({
      cpuCoreSeconds: 30, // the 0.5-core request wins
      memoryByteSeconds: 60 * GiB,
    });
    expect(chargePod(below, minute, 'usage')).toMatchObject({
      cpuCoreSeconds: 12,
      memoryByteSeconds: 15 * GiB,
    });
    const above = { ...base, usageCpuCores: 2, usageMemoryBytes: 3 * GiB };
    expect(chargePod(above, minute, 'max')).toMatchObject({
      cpuCoreSeconds: 120, // usage above the request wins
      memoryByteSeconds: 180 * GiB,
    });
  });

  it('charges requests when usage is unknown, and nothing in usage mode', () => {
    expect(chargePod(base, minute, 'max').cpuCoreSeconds).toBe(30);
    expect(chargePod(base, minute, 'usage')).toEqual({
      cpuCoreSeconds: 0,
      memoryByteSeconds: 0,
      netReceivedBytes: 0,
      netTransmittedBytes: 0,
      pvcByteSeconds: 0,
    });
  });

  it('prefers a counter delta (core-seconds) over an instant rate', () => {
    const pod = { ...base, usageCpuCores: 4, usageCpuCoreSeconds: 45 };
    expect(chargePod(pod, minute, 'max').cpuCoreSeconds).toBe(45);
    expect(chargePod(pod, minute, 'usage').cpuCoreSeconds).toBe(45);
  });

  it('charges PVC requested bytes × seconds and passes network bytes through', () => {
    const pod = { ...base, pvcBytes: 10 * GiB, netReceivedBytes: 1000, netTransmittedBytes: 5 };
    expect(chargePod(pod, minute, 'usage')).toMatchObject({
      pvcByteSeconds: 600 * GiB,
      netReceivedBytes: 1000,
      netTransmittedBytes: 5,
    });
  });

  it('never charges negative or non-finite quantities', () => {
    const pod = { ...base, usageCpuCores: -3, usageMemoryBytes: Number.NaN, netReceivedBytes: -1 };
    expect(chargePod(pod, minute, 'usage')).toMatchObject({
      cpuCoreSeconds: 0,
      memoryByteSeconds: 0,
      netReceivedBytes: 0,
    });
  });
});

describe('charging: pods living part of a window', () => {
  it('a pod living 30 s of a minute is charged for 30 s', () => {
    const pod = { ...base, usageCpuCores: 1, startedAt: HOUR + 15, goneAt: HOUR + 45 };
    expect(aliveSeconds(minute, pod.startedAt, pod.goneAt)).toBe(30);
    expect(chargePod(pod, minute, 'max')).toMatchObject({
      cpuCoreSeconds: 30,
      memoryByteSeconds: 30 * GiB,
    });
  });

  it('started mid-window: charged from its start; gone: not after', () => {
    expect(chargePod({ ...base, startedAt: HOUR + 50 }, minute, 'max').cpuCoreSeconds).toBe(5);
    expect(chargePod({ ...base, goneAt: HOUR + 6 }, minute, 'max').cpuCoreSeconds).toBe(3);
    expect(chargePod({ ...base, goneAt: HOUR - 1 }, minute, 'max').cpuCoreSeconds).toBe(0);
    expect(chargePod({ ...base, startedAt: HOUR + 60 }, minute, 'max').cpuCoreSeconds).toBe(0);
    expect(chargePod({ ...base, startedAt: HOUR - 999 }, minute, 'max').cpuCoreSeconds).toBe(30);
  });
});

describe('charging: counters', () => {
  it('takes deltas, treats a decrease as a reset and counts fresh pods whole', () => {
    expect(counterDelta(100, 250, false)).toBe(150);
    expect(counterDelta(250, 40, false)).toBe(40); // reset: counted from zero again
    expect(counterDelta(undefined, 500, false)).toBe(0); // history unknown
    expect(counterDelta(undefined, 500, true)).toBe(500); // born after the last sample
    expect(counterDelta(10, Number.NaN, false)).toBe(0);
  });
});

describe('charging: windows and clock edges', () => {
  it('aligns windows to interval boundaries', () => {
    expect(alignedBoundary(HOUR + 59.999, 60)).toBe(HOUR);
    expect(alignedBoundary(HOUR + 60, 60)).toBe(HOUR + 60);
    expect(alignedBoundary(HOUR - 0.001, 60)).toBe(HOUR - 60);
    expect(windowsBetween(HOUR - 120, HOUR + 60, 60)).toEqual([
      { start: HOUR - 120, end: HOUR - 60 },
      { start: HOUR - 60, end: HOUR },
      { start: HOUR, end: HOUR + 60 },
    ]);
  });

  it('cuts at hour boundaries when the interval does not divide an hour', () => {
    // 7 s windows: the one around 10:00:00 is cut in two.
    const windows = windowsBetween(HOUR - 10, HOUR + 10, 7);
    expect(windows.every((w) => w.end - w.start <= 7)).toBe(true);
    expect(windows.some((w) => w.start < HOUR && w.end > HOUR)).toBe(false);
    expect(windows.map((w) => w.end)).toContain(HOUR);
    expect(windows[0]?.start).toBe(HOUR - 10);
    expect(windows.at(-1)?.end).toBe(HOUR + 10);
    const total = windows.reduce((s, w) => s + (w.end - w.start), 0);
    expect(total).toBe(20);
  });

  it('keeps only the latest windows beyond the backfill limit', () => {
    expect(windowsBetween(HOUR, HOUR + 600, 60, 3)).toEqual([
      { start: HOUR + 420, end: HOUR + 480 },
      { start: HOUR + 480, end: HOUR + 540 },
      { start: HOUR + 540, end: HOUR + 600 },
    ]);
  });
});

const pod = (name: string, extra: Partial<PodRecord> = {}): PodRecord => ({
  namespace: 'shop',
  name,
  node: 'node-1',
  phase: 'Running',
  ownerKind: 'ReplicaSet',
  ownerName: 'web-7d9f',
  cpuMillis: 500,
  memoryBytes: GiB,
  startedAt: HOUR - 3600,
  pvcClaims: [],
  ...extra,
});

const round = (extra: Partial<Parameters<typeof buildWindows>[0]> = {}) => ({
  sampledAt: HOUR + 60,
  previousSampledAt: HOUR,
  running: [],
  departed: [],
  usage: new Map(),
  previousUsage: new Map(),
  namespaces: new Map([['shop', { name: 'shop', workspace: 'retail', phase: 'Active' }]]),
  owners: {
    ownerOf: (kind: string, _ns: string, name: string) =>
      kind === 'ReplicaSet' && name === 'web-7d9f'
        ? { kind: 'Deployment', name: 'web' }
        : undefined,
  },
  pvcBytes: new Map([['shop/data-db-0', 20 * GiB]]),
  ...extra,
});

describe('window building', () => {
  it('meters each running pod with its workload, workspace and PVCs', () => {
    const [payload] = buildWindows(
      round({
        running: [
          pod('web-1'),
          pod('db-0', { ownerKind: 'StatefulSet', ownerName: 'db', pvcClaims: ['data-db-0'] }),
        ],
        usage: new Map([['shop/web-1', { cpuCores: 2, memoryBytes: 0.5 * GiB }]]),
      }),
      [minute],
      'max',
    );
    expect(payload).toEqual({
      windowStart: HOUR,
      windowEnd: HOUR + 60,
      charging: 'max',
      pods: [
        {
          namespace: 'shop',
          workspace: 'retail',
          node: 'node-1',
          pod: 'web-1',
          workloadKind: 'Deployment',
          workload: 'web',
          cpuCoreSeconds: 120,
          memoryByteSeconds: 60 * GiB,
          netReceivedBytes: 0,
          netTransmittedBytes: 0,
          pvcByteSeconds: 0,
        },
        {
          namespace: 'shop',
          workspace: 'retail',
          node: 'node-1',
          pod: 'db-0',
          workloadKind: 'StatefulSet',
          workload: 'db',
          cpuCoreSeconds: 30,
          memoryByteSeconds: 60 * GiB,
          netReceivedBytes: 0,
          netTransmittedBytes: 0,
          pvcByteSeconds: 60 * 20 * GiB,
        },
      ],
    });
  });

  it('charges a pod deleted mid-window up to its deletion, and a recreated one from its start', () => {
    const [payload] = buildWindows(
      round({
        running: [pod('db-0', { startedAt: HOUR + 40, ownerKind: 'StatefulSet', ownerName: 'db' })],
        departed: [
          { record: pod('db-0', { ownerKind: 'StatefulSet', ownerName: 'db' }), goneAt: HOUR + 30 },
          { record: pod('old'), goneAt: HOUR - 5 },
        ],
      }),
      [minute],
      'max',
    );
    // 30 s before the deletion + 20 s after the restart, one entry.
    expect(payload?.pods.map((p) => [p.pod, p.cpuCoreSeconds])).toEqual([['db-0', 25]]);
  });

  it('shares counter growth over the windows of a span by seconds', () => {
    const payloads = buildWindows(
      round({
        previousSampledAt: HOUR - 60,
        running: [pod('web-1')],
        usage: new Map([['shop/web-1', { cpuSecondsTotal: 1120, netReceivedTotal: 3000 }]]),
        previousUsage: new Map([['shop/web-1', { cpuSecondsTotal: 1000, netReceivedTotal: 1000 }]]),
      }),
      windowsBetween(HOUR - 60, HOUR + 60, 60),
      'usage',
    );
    expect(
      payloads.map((p) => [p.windowStart, p.pods[0]?.cpuCoreSeconds, p.pods[0]?.netReceivedBytes]),
    ).toEqual([
      [HOUR - 60, 60, 1000],
      [HOUR, 60, 1000],
    ]);
  });
});
