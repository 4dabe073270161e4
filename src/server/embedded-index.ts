/**
 * The zero-configuration index: a bare repository under the data folder acting as the
 * index's origin, and a clone the server works in, scaffolded once with `api` pointing at
 * this server. Later starts reuse both; if the server's URL changed, `api` follows it,
 * since a pesde client would otherwise download from the old address.
 */
import { mkdir } from 'node:fs/promises';
import { pathExists } from '../path-exists.js';
import path from 'node:path';
import type { Committer } from '../index-repo/committer.js';
import { parseIndexConfig } from '../index-repo/config.js';
import { CONFIG_FILE } from '../index-repo/index-layout.js';
import { renderConfigTemplate } from '../index-repo/config-template.js';
import { git, tryGit } from '../index-repo/git.js';
import { bareRepoUrl } from '../index-repo/index-address.js';
import { readSnapshot, writeBase, writeIndex } from '../index-repo/index-writer.js';
import { fetchOrigin, type LocalIndex } from '../index-repo/local-index.js';
import { scaffoldIndex } from '../index-repo/scaffold.js';
import { resolveRef } from '../index-repo/tree-reader.js';

export interface EmbeddedIndex {
  dir: string;
  bareDir: string;
  /** what to put under `[indices]` in a pesde.toml */
  fileUrl: string;
  created: boolean;
  /** set when an existing index's `api` was rewritten to the server's current URL */
  previousApi?: string;
}

export async function ensureEmbeddedIndex(opts: {
  dir: string;
  bareDir: string;
  api: string;
  committer?: Partial<Committer> | undefined;
}): Promise<EmbeddedIndex> {
  const { dir, bareDir, api } = opts;
  const fileUrl = bareRepoUrl(bareDir);
  if (!(await pathExists(path.join(bareDir, 'HEAD')))) {
    await mkdir(path.dirname(bareDir), { recursive: true });
    await git(path.dirname(bareDir), ['init', '--quiet', '--bare', '--initial-branch=main', bareDir]);
  }
  const committer = opts.committer;
  const tip = (await pathExists(path.join(dir, '.git'))) ? await resolveRef(dir, 'HEAD') : null;
  if (tip === null) {
    await scaffoldIndex({ dir, config: { api }, remote: bareDir, push: true, force: true, committer });
    return { dir, bareDir, fileUrl, created: true };
  }
  // a clone whose last push did not reach the bare repo (a crash) catches up here
  await tryGit(dir, ['push', '--quiet', 'origin', 'HEAD:refs/heads/main']);
  const index: LocalIndex = { dir, remote: bareDir, branch: 'main' };
  await fetchOrigin(index);
  const current = await readSnapshot(index, await writeBase(index), (snapshot) => snapshot.read(CONFIG_FILE));
  const config = current === null ? null : parseIndexConfig(current);
  if (config !== null && config.api.replace(/\/+$/, '') === api) return { dir, bareDir, fileUrl, created: false };
  const previousApi = config?.api ?? '';
  // through the one writer: rebuilt on origin's tip if anything else wrote meanwhile, and
  // every other setting the admin made is kept; only the address moves
  await writeIndex(index, {
    kind: 'config',
    committer: opts.committer,
    alreadyFetched: true,
    build: async (snapshot) => {
      const text = await snapshot.read(CONFIG_FILE);
      const { api: _old, ...rest } = text === null ? { api: '' } : parseIndexConfig(text);
      const rendered = renderConfigTemplate({ ...rest, api });
      parseIndexConfig(rendered, CONFIG_FILE);
      return { message: 'update index config', files: new Map([[CONFIG_FILE, rendered]]) };
    },
  });
  return { dir, bareDir, fileUrl, created: false, previousApi };
}
