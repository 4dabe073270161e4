/**
 * The build, `npm run build`: tsc writes dist/, then bundle.ts joins it into the files bin/
 * loads. The test helper and the benchmarks run it too, when dist/ is older than src/
 * (buildIsStale), so all three know one list of steps and one staleness rule.
 *
 *   node --import tsx scripts/build.ts [--allow-type-errors]
 *
 * `--allow-type-errors` (the benchmarks): tsc still writes dist/ on type errors, say of an
 * edit in progress, and the bundle is made from what it wrote.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
/** the bundle bin/ loads: written last, so its age is the build's */
export const BUNDLE_FILE = path.join(ROOT, 'dist', 'pesde-registry.js');
/** how the test helper and the benchmarks run this file */
export const BUILD_COMMAND = [process.execPath, '--import', 'tsx', fileURLToPath(import.meta.url)] as const;

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(full));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(full).mtimeMs);
  }
  return newest;
}

/** Whether a file under src/ is newer than the bundle (or there is no bundle). */
export function buildIsStale(): boolean {
  let built: number;
  try {
    built = statSync(BUNDLE_FILE).mtimeMs;
  } catch {
    return true;
  }
  return newestSource(path.join(ROOT, 'src')) > built;
}

async function build(allowTypeErrors: boolean): Promise<void> {
  try {
    execFileSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(ROOT, 'tsconfig.json')], { cwd: ROOT, stdio: 'inherit' });
  } catch (error) {
    if (!allowTypeErrors) throw error;
    console.warn('tsc reported errors; bundling what it emitted');
  }
  // loaded here, not at the top: the test helper imports this file for buildIsStale alone
  const { bundle } = await import('./bundle.js');
  await bundle();
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await build(process.argv.includes('--allow-type-errors')).catch((error: unknown) => {
    // tsc has printed its errors already
    if ((error as { status?: unknown }).status === undefined) console.error(error);
    process.exitCode = 1;
  });
}
