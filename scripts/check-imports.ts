/**
 * `npm run check:imports`: reads every relative import of the source tree
 * (type-only imports and re-exports included) and fails on
 *   - any import cycle, and
 *   - an import in a forbidden direction between the top-level layers:
 *     protocol/ imports only zod (and itself); agents/ imports neither
 *     functions/ nor db/; db/ imports nothing from functions/; lib/ (runtime-
 *     neutral helpers such as crypto) imports nothing of the project.
 * Tests are not read: they may reach into any layer.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const sourceFolders = ['functions', 'db', 'lib', 'agents', 'protocol', 'scripts'];
const extensions = ['.ts', '.tsx'];

/** Top-level folder → the top-level folders (or bare packages) it must not import. */
const forbidden: Record<string, { folders: string[]; onlyPackages?: string[] }> = {
  protocol: { folders: ['functions', 'db', 'agents', 'scripts', 'test'], onlyPackages: ['zod'] },
  agents: { folders: ['functions', 'db'] },
  lib: { folders: ['functions', 'db', 'agents', 'protocol', 'scripts', 'test'] },
  db: { folders: ['functions', 'agents', 'scripts', 'test'] },
  functions: { folders: ['agents', 'test', 'scripts'] },
};

function walk(dir: string, out: string[]): string[] {
  for (const entry of readdirSync(dir)) {
    if (entry === 'node_modules' || entry === 'migrations') continue;
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) walk(full, out);
    else if (extensions.some((e) => entry.endsWith(e)) && !entry.endsWith('.d.ts')) out.push(full);
  }
  return out;
}

// `import … from '…'`, `export … from '…'`, `import '…'`, `import('…')`, `import type …`.
const specifierPattern =
  /(?:^|[;\s])(?:import|export)\s+(?:type\s+)?(?:[^'"`;]*?\s+from\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm;

function stripComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

function specifiersOf(file: string): string[] {
  const source = stripComments(readFileSync(file, 'utf8'));
  const found: string[] = [];
  for (const match of source.matchAll(specifierPattern)) {
    const spec = match[1] ?? match[2];
    if (spec) found.push(spec);
  }
  return found;
}

function resolve(from: string, spec: string): string | undefined {
  const base = path.resolve(path.dirname(from), spec);
  const candidates = [
    base,
    ...extensions.map((e) => base + e),
    ...extensions.map((e) => path.join(base, `index${e}`)),
    base.replace(/\.js$/, '.ts'),
  ];
  return candidates.find((c) => {
    try {
      return statSync(c).isFile();
    } catch {
      return false;
    }
  });
}

const topOf = (file: string): string => path.relative(root, file).split(path.sep)[0] ?? '';
const rel = (file: string): string => path.relative(root, file);

const files = sourceFolders.flatMap((f) => {
  try {
    return walk(path.join(root, f), []);
  } catch {
    return [];
  }
});
const graph = new Map<string, string[]>();
const problems: string[] = [];

for (const file of files) {
  const edges: string[] = [];
  const rule = forbidden[topOf(file)];
  for (const spec of specifiersOf(file)) {
    if (!spec.startsWith('.')) {
      const pkg = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
      if (rule?.onlyPackages && !rule.onlyPackages.includes(pkg ?? '')) {
        problems.push(
          `${rel(file)} imports '${spec}': ${topOf(file)}/ may import only ${rule.onlyPackages.join(', ')}`,
        );
      }
      continue;
    }
    const target = resolve(file, spec);
    if (!target) continue;
    if (rule?.folders.includes(topOf(target))) {
      problems.push(
        `${rel(file)} imports ${rel(target)}: ${topOf(file)}/ must not import ${topOf(target)}/`,
      );
    }
    if (files.includes(target)) edges.push(target);
  }
  graph.set(file, edges);
}

// Tarjan's strongly connected components: every component of more than one file is a cycle.
let index = 0;
const indices = new Map<string, number>();
const lowlinks = new Map<string, number>();
const stack: string[] = [];
const onStack = new Set<string>();
const cycles: string[][] = [];

function connect(v: string): void {
  indices.set(v, index);
  lowlinks.set(v, index);
  index++;
  stack.push(v);
  onStack.add(v);
  for (const w of graph.get(v) ?? []) {
    if (!indices.has(w)) {
      connect(w);
      lowlinks.set(v, Math.min(lowlinks.get(v)!, lowlinks.get(w)!));
    } else if (onStack.has(w)) {
      lowlinks.set(v, Math.min(lowlinks.get(v)!, indices.get(w)!));
    }
  }
  if (lowlinks.get(v) === indices.get(v)) {
    const component: string[] = [];
    let w: string | undefined;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    const selfLoop = component.length === 1 && (graph.get(v) ?? []).includes(v);
    if (component.length > 1 || selfLoop) cycles.push(component);
  }
}
for (const v of graph.keys()) if (!indices.has(v)) connect(v);

for (const cycle of cycles) {
  const members = new Set(cycle);
  const edges = cycle.flatMap((a) =>
    (graph.get(a) ?? []).filter((b) => members.has(b)).map((b) => `    ${rel(a)} -> ${rel(b)}`),
  );
  problems.push(`import cycle of ${cycle.length} files:\n${edges.join('\n')}`);
}

if (problems.length > 0) {
  console.error(problems.join('\n'));
  console.error(`\n${problems.length} import problem(s) in ${files.length} files.`);
  process.exit(1);
}
console.log(`imports: ${files.length} files, no cycles, no forbidden directions.`);
