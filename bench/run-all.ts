/**
 * Runs every benchmark, one after another, each in its own process (so one's memory and
 * child processes never weigh on the next), and says which failed.
 *
 *   npm run bench [-- --quick]
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { BENCH_DIR, ROOT, ensureBuilt } from './lib/paths.js';

export const BENCHMARKS = ['metadata', 'download', 'publish', 'startup', 'refresh', 'search', 'load', 'storage-ops', 'metrics-overhead'] as const;

const passThrough = process.argv.slice(2).filter((a) => a === '--quick' || a === '--profile');
ensureBuilt();
const failed: string[] = [];
for (const name of BENCHMARKS) {
  console.log(`\n=== ${name} ===`);
  const started = performance.now();
  const code = await new Promise<number>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(BENCH_DIR, `${name}.ts`), ...passThrough], { cwd: ROOT, stdio: 'inherit' });
    child.on('exit', (c, signal) => resolve(c ?? (signal === null ? 1 : 128)));
  });
  console.log(`=== ${name}: ${code === 0 ? 'done' : `failed (exit ${code})`} in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  if (code !== 0) failed.push(name);
}
if (failed.length > 0) {
  console.error(`\nfailed: ${failed.join(', ')}`);
  process.exitCode = 1;
} else console.log('\nall benchmarks ran; figures are in bench/RESULTS.md');
