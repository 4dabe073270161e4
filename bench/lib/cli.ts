/** Running the real CLI (bin/pesde-registry.js, i.e. the built dist/) and timing it. */
import { execFile } from 'node:child_process';
import { BIN, ROOT } from './paths.js';
import { GIT_ENV } from './indexes.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

export function runCli(args: string[], nodeArgs: string[] = [], env: Record<string, string> = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    const started = performance.now();
    execFile(
      process.execPath,
      [...nodeArgs, BIN, ...args],
      { cwd: ROOT, env: { ...process.env, ...GIT_ENV, CI: 'true', NO_COLOR: '1', ...env }, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const ms = performance.now() - started;
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
        resolve({ code, stdout, stderr, ms });
      },
    );
  });
}

/** `pesde-registry publish <archive> --index <clone> --storage-root <dir>`; throws unless it succeeds. */
export async function publishWithCli(archive: string, clone: string, storageRoot: string, nodeArgs: string[] = [], env: Record<string, string> = {}): Promise<CliRun> {
  const run = await runCli(['publish', archive, '--index', clone, '--storage-root', storageRoot, '--json'], nodeArgs, env);
  if (run.code !== 0) throw new Error(`publish failed (${run.code}): ${run.stdout}${run.stderr}`);
  return run;
}
