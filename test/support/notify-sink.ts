import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';

/** A request the sink answered with success. */
export interface SinkDelivery {
  at: number;
  path: string;
  key: string;
  groupKey: string;
}

export interface NotifySink {
  url: string;
  received: SinkDelivery[];
  refused(): number;
  close(): Promise<void>;
}

/** Starts test/support/notify-sink-server.ts in its own process and collects what it reports. */
export async function startNotifySink(): Promise<NotifySink> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(import.meta.dirname, 'notify-sink-server.ts')],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const received: SinkDelivery[] = [];
  let refused = 0;
  const lines = createInterface({ input: child.stdout });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`notify sink exited (${code})`)));
    lines.on('line', (line) => {
      const record = JSON.parse(line) as Partial<SinkDelivery> & {
        port?: number;
        refused?: boolean;
      };
      if (record.port !== undefined) resolve(record.port);
      else if (record.refused) refused++;
      else received.push(record as SinkDelivery);
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    refused: () => refused,
    close: () =>
      new Promise<void>((resolve) => {
        child.removeAllListeners('exit');
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
