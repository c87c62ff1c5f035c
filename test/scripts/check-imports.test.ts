import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');

describe('the import layers (scripts/check-imports.ts)', () => {
  it('finds no import cycle and no import in a forbidden direction', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/check-imports.ts'], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });
});
