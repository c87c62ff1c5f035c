/**
 * `npm run check:bundle`: builds the worker exactly as `wrangler deploy`
 * would (dry run, offline) and fails when the gzipped upload exceeds 1 MiB
 * or when code meant only for the Node agent slipped into the bundle.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

const limitBytes = 1024 * 1024;
const forbiddenInputs = [
  /node_modules\/@kubernetes\//,
  /node_modules\/ws\//,
  /^agents\//,
  /^test\//,
];

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  console.log(
    'Usage: npm run check:bundle\nBuilds the worker with `wrangler deploy --dry-run` and checks its gzipped size (<= 1 MiB) and contents.',
  );
  process.exit(0);
}

const root = path.resolve(import.meta.dirname, '..');
const outdir = mkdtempSync(path.join(tmpdir(), 'edgetower-bundle-'));
try {
  const build = spawnSync(
    path.join(root, 'node_modules/.bin/wrangler'),
    ['deploy', '--dry-run', '--outdir', outdir, '--metafile', path.join(outdir, 'meta.json')],
    {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, CI: 'true', WRANGLER_SEND_METRICS: 'false' },
    },
  );
  if (build.status !== 0) {
    console.error(build.stdout, build.stderr);
    throw new Error('wrangler deploy --dry-run failed');
  }
  let raw = 0;
  let gzipped = 0;
  for (const file of readdirSync(outdir)) {
    if (!/\.(m?js|wasm)$/.test(file)) continue;
    const bytes = readFileSync(path.join(outdir, file));
    raw += bytes.length;
    gzipped += gzipSync(bytes, { level: 9 }).length;
  }
  const meta = JSON.parse(readFileSync(path.join(outdir, 'meta.json'), 'utf8')) as {
    inputs: Record<string, unknown>;
  };
  const leaked = Object.keys(meta.inputs).filter((input) =>
    forbiddenInputs.some((re) => re.test(input)),
  );
  const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
  console.log(`worker bundle: ${kib(raw)} raw, ${kib(gzipped)} gzipped (limit ${kib(limitBytes)})`);
  if (leaked.length > 0)
    throw new Error(`agent/test code in the worker bundle:\n  ${leaked.join('\n  ')}`);
  if (gzipped > limitBytes)
    throw new Error(`gzipped bundle ${kib(gzipped)} exceeds ${kib(limitBytes)}`);
  console.log('bundle check: ok');
} finally {
  rmSync(outdir, { recursive: true, force: true });
}
