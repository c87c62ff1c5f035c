/**
 * `npm run dev`: the whole edge on this machine. Creates .dev.vars with
 * random secrets on first run, applies the D1 migrations locally, starts
 * `wrangler dev` (workerd with embedded D1, Durable Objects and Queues) and
 * prints where it listens and how to sign in as the first admin.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

const root = path.resolve(import.meta.dirname, '..');
const wrangler = path.join(root, 'node_modules/.bin/wrangler');
const devVarsPath = path.join(root, '.dev.vars');

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8787' },
    ip: { type: 'string', default: '127.0.0.1' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (values.help) {
  console.log(`Usage: npm run dev [-- --port 8787 --ip 127.0.0.1]

Runs the edgetower edge locally under wrangler dev:
  1. creates .dev.vars with a random ADMIN_PASSWORD and SECRETS_KEY if missing
  2. applies the D1 migrations in db/migrations to the local database
  3. starts wrangler dev and prints the URL and the admin login

State lives in .wrangler/state; delete it to start from an empty database.`);
  process.exit(0);
}

function readDevVars(): Record<string, string> {
  if (!existsSync(devVarsPath)) return {};
  const vars: Record<string, string> = {};
  for (const line of readFileSync(devVarsPath, 'utf8').split('\n')) {
    const match = /^\s*([A-Z0-9_]+)\s*=\s*"?(.*?)"?\s*$/.exec(line);
    if (match?.[1]) vars[match[1]] = match[2] ?? '';
  }
  return vars;
}

function ensureDevVars(): Record<string, string> {
  const vars = readDevVars();
  const added: string[] = [];
  if (!vars.ADMIN_PASSWORD) {
    vars.ADMIN_PASSWORD = randomBytes(18).toString('base64url');
    added.push('ADMIN_PASSWORD');
  }
  if (!vars.SECRETS_KEY) {
    vars.SECRETS_KEY = randomBytes(32).toString('base64');
    added.push('SECRETS_KEY');
  }
  if (!vars.ALLOW_PRIVATE_WEBHOOKS) vars.ALLOW_PRIVATE_WEBHOOKS = 'true';
  if (added.length > 0) {
    const body = Object.entries(vars)
      .map(([k, v]) => `${k}="${v}"`)
      .join('\n');
    writeFileSync(devVarsPath, `# Local secrets for wrangler dev (not committed).\n${body}\n`, {
      mode: 0o600,
    });
    console.log(`• wrote ${added.join(' and ')} to .dev.vars`);
  }
  return vars;
}

const vars = ensureDevVars();

console.log('• applying D1 migrations to the local database');
const migrate = spawnSync(wrangler, ['d1', 'migrations', 'apply', 'DB', '--local'], {
  cwd: root,
  env: { ...process.env, CI: 'true' },
  encoding: 'utf8',
});
if (migrate.status !== 0) {
  console.error(migrate.stdout, migrate.stderr);
  process.exit(migrate.status ?? 1);
}

const url = `http://${values.ip}:${values.port}`;
console.log(`• starting wrangler dev on ${url}`);
const child = spawn(
  wrangler,
  ['dev', '--ip', values.ip, '--port', values.port, '--show-interactive-dev-session=false'],
  { cwd: root, stdio: 'inherit' },
);
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
child.on('exit', (code) => process.exit(code ?? 0));

async function announceWhenReady(): Promise<void> {
  for (let attempt = 0; attempt < 300; attempt++) {
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  console.log(`
  ┌──────────────────────────────────────────────────────────────
  │ edgetower edge is running at ${url}
  │ API reference:  ${url}/docs
  │ First admin:    admin / ${vars.ADMIN_PASSWORD}
  │ Get a token:    curl -s ${url}/oauth/token -d grant_type=password \\
  │                   -d username=admin -d password='${vars.ADMIN_PASSWORD}'
  └──────────────────────────────────────────────────────────────
`);
}
void announceWhenReady();
