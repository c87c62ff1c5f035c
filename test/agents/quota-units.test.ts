import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  createCertificateAuthority,
  issueServingCertificate,
} from '../../agents/quota/certificates';
import { objectIdentifier, time, unsignedInteger } from '../../agents/quota/der';
import { podDemand, unspecifiedResources } from '../../agents/quota/pod-demand';
import { parseQuantity, toMillicores } from '../../protocol/quantity';
import type { QuotasFrame, QuotaUsageFrame } from '../../protocol/quota-frames';
import { canonicalAmount, formatAmount } from '../../protocol/quota-resources';
import { decodeFrame, encodeControl } from '../../protocol/tunnel';

describe('the shared quantity grammar', () => {
  it.each([
    ['500m', 0.5],
    ['2', 2],
    ['1.5', 1.5],
    ['.5', 0.5],
    ['1Ki', 1024],
    ['1.5Gi', 1.5 * 2 ** 30],
    ['2M', 2e6],
    ['3e3', 3000],
    ['1E', 1e18],
    ['+4', 4],
    ['100n', 1e-7],
  ])('reads %s', (text, value) => {
    expect(parseQuantity(text)).toBeCloseTo(value, 12);
  });

  it.each(['', 'm', '1.5GB', '1 Gi', 'Gi', '1.2.3', '0x10', '1ki', ' 1', 'Infinity', '1e'])(
    'refuses %j',
    (text) => {
      expect(parseQuantity(text)).toBeUndefined();
    },
  );

  it('turns caps into canonical units and back', () => {
    expect(canonicalAmount('cpu', '1500m')).toEqual({ ok: true, value: 1500 });
    expect(canonicalAmount('limits.cpu', '0.0001')).toEqual({ ok: true, value: 1 }); // rounded up
    expect(canonicalAmount('memory', '1Gi')).toEqual({ ok: true, value: 2 ** 30 });
    expect(canonicalAmount('pods', '1e2')).toEqual({ ok: true, value: 100 });
    expect(canonicalAmount('pods', '1500m')).toMatchObject({ ok: false });
    expect(toMillicores(0.1 + 0.2)).toBe(300);
    expect(formatAmount('cpu', 2000)).toBe('2');
    expect(formatAmount('cpu', 2500)).toBe('2500m');
    expect(formatAmount('memory', 3 * 2 ** 20)).toBe('3Mi');
    expect(formatAmount('memory', 1000)).toBe('1000');
  });
});

describe('what a pod counts against a quota', () => {
  it('takes the larger of the containers sum and the largest init container, plus overhead', () => {
    expect(
      podDemand({
        containers: [
          { resources: { requests: { cpu: '100m', memory: '64Mi' } } },
          { resources: { requests: { cpu: '200m' }, limits: { cpu: '1', memory: '128Mi' } } },
        ],
        initContainers: [{ resources: { requests: { cpu: '500m', memory: '16Mi' } } }],
        overhead: { cpu: '10m', memory: '1Mi' },
      }),
    ).toEqual({
      cpuRequestMillis: 510,
      memoryRequestBytes: (64 + 128 + 1) * 2 ** 20, // the second container requests its limit
      cpuLimitMillis: 1010,
      memoryLimitBytes: 129 * 2 ** 20,
    });
  });

  it('names the containers that leave a resource unset', () => {
    expect(
      unspecifiedResources({
        initContainers: [{ name: 'init', resources: { requests: { cpu: '1' } } }],
        containers: [{ name: 'app', resources: { limits: { cpu: '1', memory: '1Gi' } } }],
      }),
    ).toEqual({
      memory: ['init'],
      'requests.memory': ['init'],
      'limits.cpu': ['init'],
      'limits.memory': ['init'],
    });
  });

  it('counts a pod without resources as asking for nothing', () => {
    expect(podDemand({ containers: [{ name: 'x' }] })).toEqual({
      cpuRequestMillis: 0,
      memoryRequestBytes: 0,
      cpuLimitMillis: 0,
      memoryLimitBytes: 0,
    });
    expect(podDemand(undefined).cpuRequestMillis).toBe(0);
  });
});

describe('the DER and X.509 writer', () => {
  it('encodes the primitives as X.690 says', () => {
    expect(objectIdentifier('1.2.840.10045.4.3.2').toString('hex')).toBe('06082a8648ce3d040302');
    expect(unsignedInteger(Buffer.from([0x80])).toString('hex')).toBe('02020080');
    expect(unsignedInteger(Buffer.from([0, 0, 5])).toString('hex')).toBe('020105');
    expect(time(new Date('2030-01-02T03:04:05Z')).toString()).toContain('300102030405Z');
    expect(time(new Date('2051-01-02T03:04:05Z'))[0]).toBe(0x18); // GeneralizedTime from 2050
  });

  it('makes a CA and a serving certificate that Node (OpenSSL) parses and verifies', () => {
    const ca = createCertificateAuthority('test-ca');
    const caCert = new X509Certificate(ca.cert);
    expect(caCert.ca).toBe(true);
    expect(caCert.subject).toBe('CN=test-ca');
    expect(caCert.verify(caCert.publicKey)).toBe(true);
    const key = createPrivateKey(ca.key);
    const leaf = issueServingCertificate(
      { cert: ca.cert, key, publicKey: createPublicKey(key), subject: 'test-ca' },
      ['127.0.0.1', 'edgetower-agent-webhook.edgetower-system.svc'],
    );
    const cert = new X509Certificate(leaf.cert);
    expect(cert.ca).toBe(false);
    expect(cert.issuer).toBe('CN=test-ca');
    expect(cert.checkIssued(caCert)).toBe(true);
    expect(cert.verify(caCert.publicKey)).toBe(true);
    expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(cert.checkHost('edgetower-agent-webhook.edgetower-system.svc')).toBeTruthy();
    expect(cert.checkHost('elsewhere.example')).toBeUndefined();
    expect(cert.keyUsage).toContain('1.3.6.1.5.5.7.3.1'); // serverAuth
    expect(new Date(cert.validTo).getTime()).toBeGreaterThan(Date.now() + 300 * 86_400_000);
    const other = new X509Certificate(createCertificateAuthority('other').cert);
    expect(cert.verify(other.publicKey)).toBe(false);
  });
});

describe('the quota frames on the tunnel', () => {
  it('decode when well formed, and are refused as malformed otherwise', () => {
    const quotas: QuotasFrame = {
      type: 'quotas',
      revision: 3,
      workspaces: [
        { workspace: 'alpha', hard: { cpu: 2000, pods: 3 }, usedElsewhere: { cpu: 500 } },
      ],
    };
    expect(decodeFrame(encodeControl(quotas))).toEqual({ ok: true, frame: quotas });
    const usage: QuotaUsageFrame = {
      type: 'quota-usage',
      workspaces: [{ workspace: 'alpha', used: { cpu: 1500 }, denied: ['cpu'] }],
    };
    expect(decodeFrame(encodeControl(usage))).toEqual({ ok: true, frame: usage });
    for (const bad of [
      { ...quotas, revision: -1 },
      { ...quotas, workspaces: [{ workspace: 'alpha', hard: { cpu: -1 }, usedElsewhere: {} }] },
      { ...usage, workspaces: [{ workspace: 'alpha', used: { gpus: 1 } }] },
      { ...usage, workspaces: [{ workspace: '', used: {} }] },
    ])
      expect(decodeFrame(JSON.stringify(bad))).toMatchObject({ ok: false, code: 'malformed' });
  });
});
