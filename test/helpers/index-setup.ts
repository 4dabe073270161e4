/**
 * The usual stage of the reliability suites: a bare remote, an index initialised and pushed
 * to it by the real CLI, a working clone, and a file-storage folder; plus snapshots of
 * everything a publish may change (remote tip, clones' branches and work trees, stored
 * objects), so a test can assert that a refused or failed write changed nothing.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { S3Storage } from '../../src/storage/s3-storage.js';
import { cli } from './cli.js';
import { bareRepo, runGit, tempDir } from './git.js';
import type { TestS3 } from './s3.js';

export interface IndexSetup {
  /** temp folder holding everything below; removed by cleanup() */
  root: string;
  /** the bare origin every clone pushes to */
  remote: string;
  /** a working clone of remote */
  clone: string;
  /** a file-storage root (created lazily by the first publish) */
  storage: string;
  /** another working clone of remote, at root/<name> */
  cloneAnother(name: string): Promise<string>;
  cleanup(): Promise<void>;
}

export interface SetupOptions {
  prefix?: string;
  /** `api` of config.toml */
  api?: string;
  /** more `pesde-registry init` flags, e.g. ['--max-archive-size', '1000'] */
  initArgs?: string[];
}

export async function setupIndex(opts: SetupOptions = {}): Promise<IndexSetup> {
  const { dir: root, cleanup } = await tempDir(opts.prefix ?? 'pesde-reliability-');
  try {
    const remote = await bareRepo(root);
    const seed = path.join(root, 'seed');
    const init = await cli(['init', seed, '--api', opts.api ?? 'http://127.0.0.1:1', '--remote', remote, '--push', ...(opts.initArgs ?? [])]);
    if (init.code !== 0) throw new Error(`pesde-registry init failed (${init.code}): ${init.stderr}`);
    const cloneAnother = async (name: string): Promise<string> => {
      const dir = path.join(root, name);
      await runGit(root, ['clone', '--quiet', remote, dir]);
      return dir;
    };
    const clone = await cloneAnother('clone');
    return { root, remote, clone, storage: path.join(root, 'storage'), cloneAnother, cleanup };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

/** Every file under `dir` (dot files and temporaries included), relative and sorted; [] when it does not exist. */
export async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => !e.isDirectory())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

/** Every key in the test bucket, sorted. */
export async function listS3Keys(s3: TestS3): Promise<string[]> {
  const storage = new S3Storage({ client: s3.client, bucket: s3.bucket, endpoint: s3.endpoint });
  const keys: string[] = [];
  for await (const key of storage.listKeys('')) keys.push(key);
  return keys.sort();
}

export interface CloneState {
  /** the commit the branch points at */
  head: string;
  /** `git status --porcelain`, untracked files included */
  status: string;
}

export interface WorldState {
  remoteTip: string;
  clones: Record<string, CloneState>;
  storage: string[];
}

/** What a publish may change: compare two of these with deepEqual to show nothing did. */
export async function worldState(remote: string, clones: string[], storage: () => Promise<string[]>): Promise<WorldState> {
  const states: Record<string, CloneState> = {};
  for (const clone of clones) {
    states[path.basename(clone)] = {
      head: await runGit(clone, ['rev-parse', 'HEAD']),
      status: await runGit(clone, ['status', '--porcelain', '--untracked-files=all']),
    };
  }
  return { remoteTip: await runGit(remote, ['rev-parse', 'main']), clones: states, storage: await storage() };
}

/** Commits on main after `base`, oldest first, as `<sha> <parent count> <subject>`. */
export async function commitsSince(repo: string, base: string): Promise<Array<{ sha: string; parents: number; subject: string }>> {
  const out = await runGit(repo, ['log', '--reverse', '--format=%H %P%x09%s', `${base}..main`]);
  return out
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [head = '', subject = ''] = line.split('\t');
      const [sha = '', ...parents] = head.trim().split(' ');
      return { sha, parents: parents.length, subject };
    });
}

