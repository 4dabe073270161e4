/**
 * The files this program finds by path while it runs: worker and process entries, its
 * package.json, and the modules the summary cache's stamp hashes. They are found from the
 * root of the module tree, never from a caller's own `import.meta.url`: the bin runs a
 * bundle (scripts/bundle.ts) whose code sits in files of other names, so a caller's URL no
 * longer says where its module is. This module is at the root of src/, so tsc writes it at
 * the root of dist/, and the bundle writes every file it makes there too: from here, `./`
 * is the tree's root whichever file this code ended up in.
 */
import { readFileSync } from 'node:fs';

/** src/ when run from the sources (tsx), dist/ when built */
export const MODULE_ROOT = new URL('./', import.meta.url);

/** the extension of the tree's modules: `.ts` in src/, `.js` in dist/ */
export const MODULE_EXTENSION = import.meta.url.endsWith('.ts') ? '.ts' : '.js';

/** A module of the tree by its path from the root without extension, `server/package-parse-worker` say. */
export function moduleFile(name: string): URL {
  return new URL(`./${name}${MODULE_EXTENSION}`, MODULE_ROOT);
}

let version: string | undefined;

/** From package.json, so `--version`, `GET /` and the banner name the version actually running. */
export function packageVersion(): string {
  version ??= (JSON.parse(readFileSync(new URL('../package.json', MODULE_ROOT), 'utf8')) as { version: string }).version;
  return version;
}
