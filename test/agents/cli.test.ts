import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../agents/config';

const run = promisify(execFile);
const TSX = 'node_modules/.bin/tsx';

async function agentCli(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run(TSX, ['agents/main.ts', ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
      timeout: 30_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const ctx = (env: Record<string, string> = {}) => ({ env });

describe('agent CLI', () => {
  it('prints usage with every flag and its environment variable on --help', async () => {
    const { code, stdout } = await agentCli(['--help']);
    expect(code).toBe(0);
    for (const text of [
      '--hub <url>',
      '--token <token>',
      '--kubeconfig <file>',
      '--prometheus-url',
      '--alertmanager-listen',
      '--data-dir',
      '--metering-interval',
      '--health-listen',
      '--log-level',
      'EDGETOWER_HUB',
      'EDGETOWER_TOKEN',
      'EDGETOWER_DATA_DIR',
    ]) {
      expect(stdout).toContain(text);
    }
  });

  it('exits 2 with a clear message when required flags are missing or wrong', async () => {
    const missing = await agentCli([]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(
      'missing required --hub (or EDGETOWER_HUB) and --token (or EDGETOWER_TOKEN)',
    );
    const badUrl = await agentCli(['--hub', 'ftp://x', '--token', 't']);
    expect(badUrl.code).toBe(2);
    expect(badUrl.stderr).toContain('--hub must be an http(s) URL');
    const unknown = await agentCli(['--hub', 'https://e', '--token', 't', '--bogus', '1']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("Unknown option '--bogus'");
  });

  it('exits 1 with a JSON log line when the kubeconfig cannot be loaded', async () => {
    const { code, stderr } = await agentCli([
      '--hub',
      'https://e',
      '--token',
      't',
      '--kubeconfig',
      '/nonexistent/kubeconfig',
      '--health-listen',
      '127.0.0.1:0',
    ]);
    expect(code).toBe(1);
    const line = JSON.parse(stderr.trim().split('\n').at(-1) ?? '{}');
    expect(line).toMatchObject({ level: 'error', msg: 'agent failed to start' });
  });
});

describe('parseConfig', () => {
  it('reads every flag from the environment, and flags win over it', () => {
    const env = {
      EDGETOWER_HUB: 'https://edge.example.com/',
      EDGETOWER_TOKEN: 'from-env',
      EDGETOWER_KUBECONFIG: '/kc',
      EDGETOWER_PROMETHEUS_URL: 'http://prom:9090',
      EDGETOWER_ALERTMANAGER_LISTEN: ':9094',
      EDGETOWER_DATA_DIR: '/data',
      EDGETOWER_METERING_INTERVAL: '30',
      EDGETOWER_HEALTH_LISTEN: '127.0.0.1:9000',
      EDGETOWER_LOG_LEVEL: 'debug',
      POD_NAME: 'agent-7d9f',
    };
    const fromEnv = parseConfig([], { env, podNamespace: 'kube-edge\n' });
    expect(fromEnv).toEqual({
      kind: 'config',
      config: {
        hubUrl: 'https://edge.example.com',
        token: 'from-env',
        kubeconfig: '/kc',
        prometheusUrl: 'http://prom:9090',
        alertmanagerListen: { host: '0.0.0.0', port: 9094 },
        dataDir: '/data',
        meteringIntervalSeconds: 30,
        meteringCharging: 'max',
        healthListen: { host: '127.0.0.1', port: 9000 },
        logLevel: 'debug',
        namespace: 'kube-edge',
        agentId: 'agent-7d9f',
      },
    });
    const flags = parseConfig(
      ['--token', 'from-flag', '--log-level', 'warn', '--agent-id', 'x', '--namespace', 'ns'],
      { env },
    );
    expect(
      flags.kind === 'config' && [
        flags.config.token,
        flags.config.logLevel,
        flags.config.agentId,
        flags.config.namespace,
      ],
    ).toEqual(['from-flag', 'warn', 'x', 'ns']);
  });

  it('applies defaults and rejects invalid values with messages naming the flag', () => {
    const ok = parseConfig(['--hub', 'http://127.0.0.1:8787', '--token', 't'], ctx());
    expect(ok.kind === 'config' && ok.config).toMatchObject({
      meteringIntervalSeconds: 60,
      logLevel: 'info',
      healthListen: { host: '0.0.0.0', port: 8081 },
      namespace: 'edgetower-system',
    });
    const base = ['--hub', 'https://e', '--token', 't'];
    expect(parseConfig([...base, '--metering-interval', '0'], ctx())).toEqual({
      kind: 'error',
      message: expect.stringContaining('--metering-interval'),
    });
    expect(parseConfig([...base, '--metering-interval', '1.5'], ctx())).toEqual({
      kind: 'error',
      message: expect.stringContaining('--metering-interval'),
    });
    expect(parseConfig([...base, '--log-level', 'loud'], ctx())).toEqual({
      kind: 'error',
      message: expect.stringContaining('--log-level'),
    });
    expect(parseConfig([...base, '--health-listen', 'nope'], ctx())).toEqual({
      kind: 'error',
      message: expect.stringContaining('--health-listen must be host:port'),
    });
    expect(parseConfig([...base, '--prometheus-url', 'prom:9090'], ctx())).toEqual({
      kind: 'error',
      message: expect.stringContaining('--prometheus-url'),
    });
    expect(parseConfig(['--hub', 'https://e'], ctx())).toEqual({
      kind: 'error',
      message: 'missing required --token (or EDGETOWER_TOKEN)',
    });
    expect(parseConfig(['stray'], ctx())).toMatchObject({ kind: 'error' });
    expect(parseConfig(['-h'], ctx())).toEqual({ kind: 'help' });
  });
});
