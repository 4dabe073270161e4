import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { RegistryError } from '../errors.js';
import { pathExists } from '../path-exists.js';
import { parseIndexConfig } from './config.js';
import { CONFIG_FILE } from './index-layout.js';
import { renderConfigTemplate, type ConfigTemplateValues } from './config-template.js';
import type { Committer } from './committer.js';
import { git, tryGit } from './git.js';
import { currentBranch, originUrl, setOriginUrl, setUpstream, workTreeRoot } from './git-queries.js';
import { withCloneLock } from './clone-lock.js';
import { writeIndex } from './index-writer.js';
import type { LocalIndex } from './local-index.js';
import { pushRefs } from './ref-push.js';
import { resolveRef } from './tree-reader.js';

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
  if ((await workTreeRoot(dir).then((root) => (root === null ? null : path.resolve(root)))) !== dir) {
    await git(dir, ['init', '--quiet', `--initial-branch=${DEFAULT_BRANCH}`]);
  }
  if (opts.remote !== undefined) await setOriginUrl(dir, opts.remote);
  if (opts.push && (await originUrl(dir)) === null) throw new RegistryError('usage', '--push needs a remote: pass --remote <url>');
  const branch = (await currentBranch(dir)) ?? DEFAULT_BRANCH;
  // the first commit (or the config's rewrite) is a write like any other: the one writer
  // commits it locally; pushing it is a separate step so a failed push keeps the commit
  const local: LocalIndex = { dir, remote: null, branch };
  const head = await resolveRef(dir, `refs/heads/${branch}`);
  let commit = head;
  if (head === null || (await tryGit(dir, ['show', `${head}:${CONFIG_FILE}`])).stdout !== text) {
    const written = await writeIndex(local, {
      kind: head === null ? 'init' : 'config',
      allowEmpty: true,
      committer: opts.committer,
      build: async () => ({ message: head === null ? 'init index' : 'update index config', files: new Map([[CONFIG_FILE, text]]) }),
    });
    commit = written.commit;
  }
  // --force means the work tree's config.toml is the one just committed, local edits or not
  await git(dir, ['checkout', '--quiet', commit!, '--', CONFIG_FILE]);
  let pushed = false;
  if (opts.push) {
    await pushBranch({ dir, remote: await originUrl(dir), branch }, commit!);
    pushed = true;
  }
  return { dir, commit: commit!, pushed };
}

/** Publishes the branch as it is (a fast-forward, like `git push -u`): nothing to rebuild, so no retry. */
async function pushBranch(index: LocalIndex, commit: string): Promise<void> {
  const outcome = await withCloneLock(index.dir, () => pushRefs(index, [{ ref: `refs/heads/${index.branch}`, to: commit, expect: 'any' }]));
  if (outcome.kind !== 'pushed') {
    const reason = outcome.kind === 'failed' ? outcome.message : outcome.kind === 'locked' ? `${outcome.lockFile} exists` : `origin's ${index.branch} has commits this index does not`;
    throw new RegistryError('git', `the index was created and committed, but pushing it failed: ${reason}`);
  }
  await git(index.dir, ['update-ref', `refs/remotes/origin/${index.branch}`, commit]);
  await setUpstream(index.dir, index.branch);
}
