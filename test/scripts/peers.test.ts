import { execFile } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { locatePeer } from '../../scripts/peers';

const run = promisify(execFile);
const script = path.resolve(import.meta.dirname, '../../scripts/peers.ts');
const tsx = path.resolve(import.meta.dirname, '../../node_modules/.bin/tsx');

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'edgetower-peers-'));
  await writeFile(path.join(dir, 'present-tool'), '#!/bin/sh\n');
  await chmod(path.join(dir, 'present-tool'), 0o755);
  await writeFile(path.join(dir, 'not-executable'), 'data');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('scripts/peers.ts', () => {
  it('finds a peer on PATH and by absolute path, and only when it can be executed', () => {
    const saved = process.env.PATH;
    process.env.PATH = dir;
    try {
      expect(locatePeer({ binary: 'present-tool', packages: [], usedBy: '' })).toBe(
        path.join(dir, 'present-tool'),
      );
      expect(locatePeer({ binary: 'not-executable', packages: [], usedBy: '' })).toBeUndefined();
      expect(locatePeer({ binary: 'absent-tool', packages: [], usedBy: '' })).toBeUndefined();
      expect(locatePeer({ binary: path.join(dir, 'present-tool'), packages: [], usedBy: '' })).toBe(
        path.join(dir, 'present-tool'),
      );
    } finally {
      process.env.PATH = saved;
    }
  });

  it('check lists every missing peer with the command that installs it, and fails', async () => {
    // A PATH with none of the peers (node itself is called by absolute path).
    const failure = await run(process.execPath, [tsx, script, 'check'], {
      env: { PATH: dir, HOME: dir },
    }).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failure?.code).toBe(1);
    for (const name of ['prometheus', 'amtool', 'chromium', 'kubectl', 'ldapadd'])
      expect(failure?.stderr).toContain(`  - ${name}: `);
    expect(failure?.stderr).toMatch(
      /Install them with: sudo apt-get install -y .*prometheus-alertmanager/,
    );
  });

  it('check passes quietly when everything is present (this machine ran npm test)', async () => {
    const { stdout, stderr } = await run(process.execPath, [tsx, script, 'check']);
    expect(stderr).toBe('');
    expect(stdout).toBe('');
  });

  it('--help explains every command', async () => {
    const { stdout } = await run(process.execPath, [tsx, script, '--help']);
    for (const command of ['ensure', 'check', 'list']) expect(stdout).toContain(command);
  });
});
