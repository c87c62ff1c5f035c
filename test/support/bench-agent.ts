import { type ChildProcess, spawn } from 'node:child_process';

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
