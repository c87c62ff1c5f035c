import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * Starts the agent bundle as the benchmarks measure it: its own Node
 * process with `nodeFlags` and `env` (the image's unless a bench overrides
 * them), dialing `hubUrl` with `token`, on the emulator behind
 * `kubeconfig`, as agent `bench-agent` in edgetower-system. stderr is
 * piped (the benches read the agent's log lines); stdout is dropped.
 */
export function spawnBenchAgent(options: {
  bundle: string;
  nodeFlags: readonly string[];
  env: Readonly<Record<string, string>>;
  hubUrl: string;
  token: string;
  kubeconfig: string;
  extraArgs?: string[];
}): ChildProcess {
  return spawn(
    process.execPath,
    [
      ...options.nodeFlags,
      options.bundle,
      '--hub',
      options.hubUrl,
      '--token',
      options.token,
      '--kubeconfig',
      options.kubeconfig,
      '--health-listen',
      '127.0.0.1:0',
      '--namespace',
      'edgetower-system',
      '--agent-id',
      'bench-agent',
      ...(options.extraArgs ?? []),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...options.env } },
  );
}

export interface ProcSample {
  rssKiB: number;
  hwmKiB: number;
  /** utime + stime, in clock ticks. */
  cpuTicks: number;
}

/** RSS, peak RSS and CPU time of process `pid` from /proc (throws once it is gone). */
export function procSample(pid: number): ProcSample {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  // Fields after the ")" of the command name: utime and stime are the 12th and 13th.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return {
    rssKiB: kib('VmRSS'),
    hwmKiB: kib('VmHWM'),
    cpuTicks: Number(fields[11]) + Number(fields[12]),
  };
}
