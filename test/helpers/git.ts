import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { devNull, tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/**
 * A fixed identity and no user or system config, so tests behave the same on any machine: a
 * developer's global `commit.gpgsign = true` or `init.defaultBranch` must not reach the
 * repositories the tests build (GIT_CONFIG_GLOBAL needs git 2.32; older git still reads it).
 */
export const GIT_TEST_ENV: Record<string, string> = {
  GIT_AUTHOR_NAME: 'Test Author',
  GIT_AUTHOR_EMAIL: 'author@test.invalid',
  GIT_COMMITTER_NAME: 'Test Author',
  GIT_COMMITTER_EMAIL: 'author@test.invalid',
  GIT_CONFIG_GLOBAL: devNull,
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_TERMINAL_PROMPT: '0',
};

// The registry code under test runs in this process and gives git this process's environment,
// so the config isolation (not the identity: that code picks its own) applies process-wide.
process.env['GIT_CONFIG_GLOBAL'] = devNull;
process.env['GIT_CONFIG_NOSYSTEM'] = '1';

export async function runGit(dir: string, args: string[]): Promise<string> {
  const { stdout } = await execFileAsync('git', ['-c', 'commit.gpgsign=false', '-c', 'gc.auto=0', ...args], {
    cwd: dir,
    env: { ...process.env, ...GIT_TEST_ENV },
    maxBuffer: 256 * 1024 * 1024,
  });
  return stdout.replace(/\n$/, '');
}

export async function tempDir(prefix = 'pesde-registry-test-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export async function bareRepo(parent: string, name = 'remote.git'): Promise<string> {
  const dir = path.join(parent, name);
  await execFileAsync('git', ['init', '--quiet', '--bare', '--initial-branch=main', dir], { env: { ...process.env, ...GIT_TEST_ENV } });
  return dir;
}

/** Every file in `commit` as path -> content, straight from the object database. */
export async function filesAt(dir: string, ref = 'HEAD'): Promise<Map<string, string>> {
  const list = await runGit(dir, ['ls-tree', '-r', '--name-only', ref]);
  const files = new Map<string, string>();
  for (const file of list.split('\n').filter(Boolean)) files.set(file, await runGit(dir, ['show', `${ref}:${file}`]));
  return files;
}
