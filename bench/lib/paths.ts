/** Where the benchmarks live and write, and making sure they measure the current source. */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const ROOT = path.dirname(BENCH_DIR);
/** generated indexes, storage, logs and profiles (gitignored) */
export const OUT_DIR = path.join(BENCH_DIR, 'out');
export const BIN = path.join(ROOT, 'bin', 'pesde-registry.js');
export const BIG_INDEX_PACKAGES = 50_000;

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(full));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(full).mtimeMs);
  }
  return newest;
}

/**
 * The CLI runs from the bundle in dist/; a stale build would benchmark old code. The build
 * (tsc, then scripts/bundle.ts) writes dist/pesde-registry.js last, so that file older than
 * any source file means the build is stale.
 */
export function ensureBuilt(): void {
  const bundle = path.join(ROOT, 'dist', 'pesde-registry.js');
  if (existsSync(bundle) && statSync(bundle).mtimeMs >= newestMtime(path.join(ROOT, 'src'))) return;
  console.log('building dist/ (it is older than src/)');
  try {
    execFileSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(ROOT, 'tsconfig.json')], { stdio: 'inherit' });
  } catch {
    // tsc still emits on type errors (someone's edit in progress); the run goes on with that output
    console.warn('tsc reported errors; benchmarking what it emitted');
  }
  execFileSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts', 'bundle.ts')], { cwd: ROOT, stdio: 'inherit' });
}
