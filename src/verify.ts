import { parse as parseToml } from 'smol-toml';
import { errorMessage, isRegistryError, RegistryError } from './errors.js';
import { parseIndexConfig } from './index-repo/config.js';
import { classifyIndexPath, CONFIG_FILE, scopeFilePath } from './index-repo/index-layout.js';
import { parseIndexFile, serializeIndexFile } from './index-repo/package-file.js';
import { parseScopeInfo, serializeScopeInfo } from './index-repo/scope-file.js';
import { BlobReader, listTree } from './index-repo/tree-reader.js';
import { compareVersionIds, formatVersionId, parseVersionId } from './index-repo/version.js';
import { DOC_DIR } from './storage/keys.js';
import { entryKeys } from './storage/referenced-keys.js';
import type { Storage } from './storage/storage.js';

export interface VerifyProblem {
  /** the file, or `<name>@<version> <target>` */
  where: string;
  problem: string;
}

export interface VerifyReport {
  commit: string;
  packages: number;
  versions: number;
  objectsChecked: number;
  problems: VerifyProblem[];
}

/** Blob reads kept in flight at once: enough to hide the pipe round trip, bounded for memory. */
const READ_WINDOW = 256;

/**
 * Checks an index at one commit, and optionally that storage holds every object it names.
 * Storage is listed once (one walk or paginated listing), not probed per object, so the
 * cost stays proportional to the store, not to round trips.
 */
export async function verifyIndex(dir: string, commit: string, storage: Storage | null): Promise<VerifyReport> {
  const problems: VerifyProblem[] = [];
  const files = await listTree(dir, commit);
  const scopes = new Set(files.filter((f) => classifyIndexPath(f.path).kind === 'scope').map((f) => f.path.split('/')[0]));
  const wantedKeys = new Map<string, string>();
  const counts = { packages: 0, versions: 0 };
  const reader = BlobReader.open(dir);
  try {
    // texts are checked and dropped window by window, so memory does not grow with the index
    for (let start = 0; start < files.length; start += READ_WINDOW) {
      const window = files.slice(start, start + READ_WINDOW);
      const texts = await Promise.all(window.map((f) => reader.readText(f.oid)));
      window.forEach((f, i) => checkFile(f.path, texts[i] ?? '', { scopes, problems, wantedKeys, counts, collectKeys: storage !== null }));
    }
  } finally {
    reader.close();
  }
  if (storage !== null) {
    const present = new Set<string>();
    const scopePrefixes = new Set([...wantedKeys.keys()].map((k) => `${k.split('/')[0]}/`));
    // a few scopes: list just those (the bucket may hold other things); many: one listing of everything
    const prefixes = scopePrefixes.size <= 64 ? scopePrefixes : new Set(['']);
    try {
      for (const prefix of prefixes) {
        for await (const key of storage.listKeys(prefix)) present.add(key);
      }
      for (const [key, label] of wantedKeys) {
        if (!present.has(key)) problems.push({ where: label.split(':')[0]!, problem: `${label.split(': ')[1]} missing from storage (${storage.describe()}, key ${key})` });
      }
    } catch (error) {
      // an unreachable store says nothing about the index: a distinct failure (exit 8), so a
      // CI gate can tell "index broken" from "storage down"
      if (isRegistryError(error)) throw error;
      throw new RegistryError('storage', `cannot list ${storage.describe()}: ${errorMessage(error)}`);
    }
  }
  return { commit, packages: counts.packages, versions: counts.versions, objectsChecked: storage === null ? 0 : wantedKeys.size, problems };
}

interface CheckState {
  scopes: Set<string | undefined>;
  problems: VerifyProblem[];
  wantedKeys: Map<string, string>;
  counts: { packages: number; versions: number };
  /** storage is checked: remember every key the index names */
  collectKeys: boolean;
}

function checkFile(filePath: string, text: string, state: CheckState): void {
  const { problems } = state;
  if (filePath === CONFIG_FILE) {
    try {
      parseIndexConfig(text);
    } catch (error) {
      problems.push({ where: filePath, problem: errorMessage(error) });
    }
    return;
  }
  const at = classifyIndexPath(filePath);
  if (at.kind === 'other') return;
  if (at.kind === 'scope') {
    try {
      const info = parseScopeInfo(text, filePath);
      if (serializeScopeInfo(info) !== text) problems.push({ where: filePath, problem: 'not in canonical form (owners sorted, as the official writer emits it)' });
    } catch (error) {
      problems.push({ where: filePath, problem: errorMessage(error) });
    }
    return;
  }
  if (at.kind !== 'package') {
    problems.push({ where: filePath, problem: at.kind === 'bad-package' ? at.problem : 'unexpected file' });
    return;
  }
  const full = at.name;
  const scope = full.scope;
  try {
    const file = parseIndexFile(text, filePath);
    state.counts.packages++;
    if (!state.scopes.has(scope)) problems.push({ where: filePath, problem: `scope has no ${scopeFilePath(scope)}, so nobody owns it` });
    if (serializeIndexFile(file) !== text) {
      // parseIndexFile returns entries sorted, so the order as written comes from the text itself
      const written = Object.keys(parseToml(text)).filter((key) => key !== 'meta').map(parseVersionId);
      const inOrder = written.every((id, i) => i === 0 || compareVersionIds(written[i - 1]!, id) < 0);
      problems.push({ where: filePath, problem: inOrder ? 'not byte-identical to the official writer output (re-serialising changes it)' : 'entries are not in version order' });
    }
    state.counts.versions += file.entries.length;
    if (!state.collectKeys) return;
    for (const { id, entry } of file.entries) {
      const label = `${full.full}@${formatVersionId(id)}`;
      const keys = entryKeys(full, id, entry);
      state.wantedKeys.set(keys.archive, `${label}: archive`);
      for (const key of keys.docs) state.wantedKeys.set(key, `${label}: doc page ${key.slice(DOC_DIR.length + 1, -'.gz'.length)}`);
    }
  } catch (error) {
    problems.push({ where: filePath, problem: errorMessage(error) });
  }
}
