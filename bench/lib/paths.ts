/** Where the benchmarks live and write, and making sure they measure the current source. */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUILD_COMMAND, buildIsStale } from '../../scripts/build.js';

export const BENCH_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const ROOT = path.dirname(BENCH_DIR);
/** generated indexes, storage, logs and profiles (gitignored) */
export const OUT_DIR = path.join(BENCH_DIR, 'out');
export const BIN = path.join(ROOT, 'bin', 'pesde-registry.js');
export const BIG_INDEX_PACKAGES = 50_000;

/** The CLI runs from the bundle in dist/; a stale build would benchmark old code. */
export function ensureBuilt(): void {
  if (!buildIsStale()) return;
  console.log('building dist/ (it is older than src/)');
  execFileSync(BUILD_COMMAND[0], [...BUILD_COMMAND.slice(1), '--allow-type-errors'], { cwd: ROOT, stdio: 'inherit' });
}
