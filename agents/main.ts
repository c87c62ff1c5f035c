import { readFileSync } from 'node:fs';
import { runAgent } from './agent';
import { parseConfig, usage } from './config';
import { createJsonLogger } from './log';

/** CLI entry: `npm run agent -- --hub <url> --token <token> [options]`. */

const NAMESPACE_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

function podNamespace(): string | undefined {
  try {
    return readFileSync(NAMESPACE_FILE, 'utf8');
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  const parsed = parseConfig(process.argv.slice(2), {
    env: process.env,
    podNamespace: podNamespace(),
  });
  if (parsed.kind === 'help') {
    process.stdout.write(usage());
    return;
  }
  if (parsed.kind === 'error') {
    process.stderr.write(`edgetower-agent: ${parsed.message}\nRun with --help for usage.\n`);
    process.exitCode = 2;
    return;
  }
  const log = createJsonLogger({
    level: parsed.config.logLevel,
    fields: { agentId: parsed.config.agentId },
  });
  let agent: Awaited<ReturnType<typeof runAgent>>;
  try {
    agent = await runAgent(parsed.config, log);
  } catch (err) {
    // One line, then out: nothing (no tunnel, no listener) may keep a broken agent looking alive.
    log.error('agent failed to start', { error: err instanceof Error ? err.message : String(err) });
    process.exit(1);
  }
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info('shutting down', { signal });
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    agent.close().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error('shutdown failed', { error: String(err) });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

void main();
