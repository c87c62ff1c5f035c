import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadKubeConfig } from '../../agents/agent';
import { createKubeClient, type KubeClient } from '../../agents/kube';
import { type KubeEmulator, writeKubeconfig } from '../support/kube-emulator';
/** Helpers for agent tests in Node. */

/** Polls `check` until it returns a truthy value (or throws the last error after `timeoutMs`). */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  timeoutMs = 10_000,
  intervalMs = 20,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw lastError instanceof Error
        ? lastError
        : new Error(`waitFor timed out after ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Reads a watch stream's JSON lines as they arrive. */
export async function* watchEvents(
  res: Response,
): AsyncGenerator<{ type: string; object: Record<string, unknown> }> {
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let pending = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    pending += decoder.decode(value, { stream: true });
    let nl = pending.indexOf('\n');
    while (nl !== -1) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      if (line.trim()) yield JSON.parse(line);
      nl = pending.indexOf('\n');
    }
  }
}

export async function tempDir(prefix = 'edgetower-agent-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** A kubeconfig file for the emulator and a client built from it, as the agent does. */
export async function clientFor(
  emu: KubeEmulator,
): Promise<{ client: KubeClient; kubeconfig: string }> {
  const kubeconfig = join(await tempDir(), 'kubeconfig');
  await writeKubeconfig(kubeconfig, { url: emu.url, token: emu.token });
  return { client: createKubeClient(loadKubeConfig(kubeconfig)), kubeconfig };
}
