import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { RegistryError } from '../errors.js';
import { pathExists } from '../path-exists.js';
import { parseIndexConfig } from './config.js';
import { CONFIG_FILE } from './index-layout.js';
import { renderConfigTemplate, type ConfigTemplateValues } from './config-template.js';
import { committerEnv, resolveCommitter, type Committer } from './committer.js';
import { firstLine, git, tryGit } from './git.js';

export interface ScaffoldOptions {
  dir: string;
  config: ConfigTemplateValues;
  remote?: string | undefined;
  push?: boolean | undefined;
  force?: boolean | undefined;
  committer?: Partial<Committer> | undefined;
}

export interface ScaffoldResult {
  dir: string;
  commit: string;
  pushed: boolean;
}

export const DEFAULT_BRANCH = 'main';

/** Creates (or with `force`, rewrites) an index: config.toml committed on `main`, optionally pushed. */
export async function scaffoldIndex(opts: ScaffoldOptions): Promise<ScaffoldResult> {
  const dir = path.resolve(opts.dir);
  const configPath = path.join(dir, CONFIG_FILE);
  if (!opts.force && (await pathExists(configPath))) {
    throw new RegistryError('usage', `${configPath} already exists: pass --force to overwrite it, or choose another folder`);
  }
  const text = renderConfigTemplate(opts.config);
  // the file we write must be one the parser (and so every reader of the index) accepts
  parseIndexConfig(text, CONFIG_FILE);

  await mkdir(dir, { recursive: true });
  const inRepo = await tryGit(dir, ['rev-parse', '--show-toplevel']);
  if (inRepo.exitCode !== 0 || path.resolve(inRepo.stdout.trim()) !== dir) {
    await git(dir, ['init', '--quiet', `--initial-branch=${DEFAULT_BRANCH}`]);
  }
  if (opts.remote !== undefined) {
    const current = await tryGit(dir, ['remote', 'get-url', 'origin']);
    if (current.exitCode === 0) await git(dir, ['remote', 'set-url', 'origin', opts.remote]);
    else await git(dir, ['remote', 'add', 'origin', opts.remote]);
  }
  await writeFile(configPath, text);
  await git(dir, ['add', CONFIG_FILE]);
  const identity = committerEnv(await resolveCommitter(dir, opts.committer));
  const hasHead = (await tryGit(dir, ['rev-parse', '--verify', '--quiet', 'HEAD'])).exitCode === 0;
  const staged = (await tryGit(dir, ['diff', '--cached', '--quiet'])).exitCode !== 0;
  if (!hasHead || staged) {
    await git(dir, ['commit', '--quiet', '--no-verify', '-m', hasHead ? 'update index config' : 'init index'], { env: identity });
  }
  const commit = await git(dir, ['rev-parse', 'HEAD']);
  let pushed = false;
  if (opts.push) {
    if (opts.remote === undefined && (await tryGit(dir, ['remote', 'get-url', 'origin'])).exitCode !== 0) {
      throw new RegistryError('usage', '--push needs a remote: pass --remote <url>');
    }
    const branch = (await git(dir, ['symbolic-ref', '--short', 'HEAD']).catch(() => DEFAULT_BRANCH)) || DEFAULT_BRANCH;
    const result = await tryGit(dir, ['push', '--quiet', '-u', 'origin', branch]);
    if (result.exitCode !== 0) {
      throw new RegistryError('git', `the index was created and committed, but pushing it failed: ${firstLine(result.stderr)}`);
    }
    pushed = true;
  }
  return { dir, commit, pushed };
}
