/**
 * The indexes benchmarks run against: the generated 50,000-package index (made once, kept
 * in bench/out), the real 780-package fixture index, and private copies for benchmarks
 * that push, so the shared generated index never changes.
 */
import { execFile } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { generateIndex, type GeneratedIndex } from '../gen-index.js';
import { cloneFixtureIndex } from '../../test/helpers/fixture-index.js';
import { BIG_INDEX_PACKAGES, OUT_DIR } from './paths.js';

const execFileAsync = promisify(execFile);

/** A fixed identity and no system config: the same commits on any machine. */
export const GIT_ENV: Record<string, string> = {
  GIT_AUTHOR_NAME: 'Bench',
  GIT_AUTHOR_EMAIL: 'bench@localhost',
  GIT_COMMITTER_NAME: 'Bench',
  GIT_COMMITTER_EMAIL: 'bench@localhost',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_TERMINAL_PROMPT: '0',
};

export async function git(dir: string, args: string[]): Promise<string> {
  const { stdout } = await execFileAsync('git', ['-c', 'commit.gpgsign=false', '-c', 'gc.auto=0', ...args], {
    cwd: dir,
    env: { ...process.env, ...GIT_ENV },
    maxBuffer: 256 * 1024 * 1024,
  });
  return stdout.trim();
}

export interface IndexCopy {
  bare: string;
  clone: string;
}

/** The 50,000-package index, generated on first use (a few seconds). */
export async function bigIndex(): Promise<GeneratedIndex> {
  const out = path.join(OUT_DIR, `index-${BIG_INDEX_PACKAGES}`);
  const started = performance.now();
  const index = await generateIndex(BIG_INDEX_PACKAGES, out);
  const took = performance.now() - started;
  if (took > 1000) console.log(`generated the ${BIG_INDEX_PACKAGES}-package index in ${(took / 1000).toFixed(1)} s`);
  return index;
}

/**
 * A bare origin of its own plus `clones` working clones, made from `source` (a repository
 * path). Local clones hard-link the objects, so even the 50,000-package index copies fast.
 */
export async function privateCopy(source: string, dir: string, clones: string[] = ['index']): Promise<IndexCopy & { clones: string[] }> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const bare = path.join(dir, 'origin.git');
  await git(dir, ['clone', '--quiet', '--bare', source, bare]);
  // a bundle or clone as source leaves its own remote behind; this copy is the origin now
  await git(bare, ['remote', 'remove', 'origin']).catch(() => undefined);
  const made: string[] = [];
  for (const name of clones) {
    const clone = path.join(dir, name);
    await git(dir, ['clone', '--quiet', bare, clone]);
    await git(clone, ['config', 'gc.auto', '0']);
    made.push(clone);
  }
  return { bare, clone: made[0]!, clones: made };
}

/** The real 780-package index (full history) as a private origin and clone. */
export async function fixtureCopy(dir: string, clones: string[] = ['index']): Promise<IndexCopy & { clones: string[] }> {
  return privateCopy(await cloneFixtureIndex(), dir, clones);
}

/** The generated 50,000-package index as a private origin and clone. */
export async function bigCopy(dir: string, clones: string[] = ['index']): Promise<IndexCopy & { clones: string[] }> {
  return privateCopy((await bigIndex()).bare, dir, clones);
}

/** `scope/name` of every package file at HEAD of a clone. */
export async function packageNames(clone: string): Promise<string[]> {
  const files = (await git(clone, ['ls-tree', '-r', '--name-only', 'HEAD'])).split('\n');
  return files.filter((f) => f.split('/').length === 2 && !f.endsWith('/scope.toml'));
}
