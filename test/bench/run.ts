/**
 * `npm run bench [-- <name> ...]`: runs the benchmark scripts in this folder
 * one after another (all when no name is given) and prints their tables.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';

const here = import.meta.dirname;
// Not benchmarks: shared helpers, and the worker entry the metering bench runs.
const helpers = new Set(['run.ts', 'load.ts', 'login.ts', 'token-verify.ts', 'metering-worker.ts']);
const available = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && !helpers.has(f))
  .map((f) => f.replace(/\.ts$/, ''))
  .sort();

const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  console.log(`Usage: npm run bench [-- <name> ...]\n\nBenchmarks: ${available.join(', ')}`);
  process.exit(0);
}
const unknown = args.filter((a) => !available.includes(a));
if (unknown.length > 0) {
  console.error(`Unknown benchmark(s): ${unknown.join(', ')}. Available: ${available.join(', ')}`);
  process.exit(2);
}
const selected = args.length > 0 ? args : available;
let failed = 0;
for (const [i, name] of selected.entries()) {
  console.log(`\n[${i + 1}/${selected.length}] ${name}`);
  const result = spawnSync(process.execPath, ['--import', 'tsx', path.join(here, `${name}.ts`)], {
    stdio: 'inherit',
  });
  if (result.status !== 0) failed++;
}
process.exit(failed > 0 ? 1 : 0);
