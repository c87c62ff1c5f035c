import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Where the last metered window ended, so a restarted agent continues from
 * there (no gap) rather than from its next boundary. On disk in the data
 * dir when there is one; the spool's unacknowledged metering batches are
 * consulted too (see MeteringSampler), so a crash between spooling a window
 * and recording it here cannot meter the window twice.
 */
export interface WindowState {
  load(): Promise<number | undefined>;
  save(lastWindowEnd: number): Promise<void>;
}

export function memoryWindowState(): WindowState {
  let value: number | undefined;
  return {
    load: async () => value,
    save: async (end) => {
      value = end;
    },
  };
}

export function fileWindowState(dir: string): WindowState {
  const path = join(dir, 'metering-window.json');
  return {
    async load() {
      try {
        const parsed = JSON.parse(await readFile(path, 'utf8')) as { lastWindowEnd?: unknown };
        return typeof parsed.lastWindowEnd === 'number' ? parsed.lastWindowEnd : undefined;
      } catch {
        return undefined;
      }
    },
    async save(lastWindowEnd) {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      const tmp = `${path}.tmp`;
      await writeFile(tmp, JSON.stringify({ lastWindowEnd }), { mode: 0o600 });
      await rename(tmp, path);
    },
  };
}
