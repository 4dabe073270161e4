import { execFile } from 'node:child_process';
import { mkdir, rmdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { BUILD_COMMAND, buildIsStale } from '../../scripts/build.js';
import { GIT_TEST_ENV } from './git.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = path.join(ROOT, 'bin', 'pesde-registry.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * `npm test` builds first; a single test file run after an edit would otherwise spawn the
 * previous build, while the servers it starts in process run the edited src/. So dist/ is
 * rebuilt (scripts/build.ts) when a source is newer than the bundle, once, under a lock (test
 * files run in parallel processes).
 */
async function buildIfStale(): Promise<void> {
  if (!buildIsStale()) return;
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
      if (!buildIsStale()) return;
    }
  }
  try {
    if (buildIsStale()) await promisify(execFile)(BUILD_COMMAND[0], BUILD_COMMAND.slice(1), { cwd: ROOT });
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
