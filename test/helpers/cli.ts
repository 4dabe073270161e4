import { execFile } from 'node:child_process';
import { mkdir, readdir, rmdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { GIT_TEST_ENV } from './git.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = path.join(ROOT, 'bin', 'pesde-registry.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Newest modification time under `dir` (ms), 0 when it does not exist. */
async function newestMtime(dir: string, suffix: string): Promise<number> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  const times = await Promise.all(entries.filter((e) => e.isFile() && e.name.endsWith(suffix)).map((e) => stat(path.join(e.parentPath, e.name)).then((s) => s.mtimeMs)));
  return Math.max(0, ...times);
}

/** the bundle bin/ loads, written last by a build (tsc, then scripts/bundle.ts) */
const BUNDLE = path.join(ROOT, 'dist', 'pesde-registry.js');

const isStale = async (): Promise<boolean> => (await newestMtime(path.join(ROOT, 'src'), '.ts')) > (await stat(BUNDLE).then((s) => s.mtimeMs, () => 0));

/**
 * `npm test` builds first; a single test file run after an edit would otherwise spawn the
 * previous build, while the servers it starts in process run the edited src/. So dist/ is
 * rebuilt when a source is newer than the bundle, once, under a lock (test files run in
 * parallel processes).
 */
async function buildIfStale(): Promise<void> {
  if (!(await isStale())) return;
  const lock = path.join(ROOT, 'node_modules', '.cache', 'pesde-registry-build.lock');
  await mkdir(path.dirname(lock), { recursive: true });
  for (;;) {
    try {
      await mkdir(lock);
      break;
    } catch {
      // another test process is building; a lock older than two minutes is a killed one's
      const age = await stat(lock).then((s) => Date.now() - s.mtimeMs, () => 0);
      if (age > 120_000) await rmdir(lock).catch(() => undefined);
      await sleep(200);
      if (!(await isStale())) return;
    }
  }
  try {
    if (await isStale()) {
      // what `npm run build` runs: tsc, then the bundle bin/ loads
      await promisify(execFile)(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], { cwd: ROOT });
      await promisify(execFile)(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts', 'bundle.ts')], { cwd: ROOT });
    }
  } finally {
    await rmdir(lock).catch(() => undefined);
  }
}

let built: Promise<void> | undefined;

/** Runs the real CLI through bin/ (the built and bundled dist/, rebuilt first if src/ changed), as a user or CI job would. */
export async function cli(args: string[], opts: { cwd?: string; env?: Record<string, string | undefined>; input?: string } = {}): Promise<CliResult> {
  await (built ??= buildIfStale());
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [BIN, ...args],
      {
        cwd: opts.cwd ?? ROOT,
        env: { ...process.env, ...GIT_TEST_ENV, CI: 'true', NO_COLOR: '1', FS_STORAGE_ROOT: undefined, S3_ENDPOINT: undefined, ...opts.env } as NodeJS.ProcessEnv,
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
        resolve({ code, stdout, stderr });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    else child.stdin?.end();
  });
}
