/**
 * Who published each version of a package, for its web page: read from the audit trail of
 * the commit being served and cached per commit and package, so a page view runs git only
 * the first time a package is shown after the index moved.
 */
import { readAuditLog, whoOf } from './history.js';

const MAX_CACHED = 256;
/** a package with more history than this shows no publisher for its oldest versions */
const MAX_COMMITS = 2000;

const cache = new Map<string, Promise<Map<string, string>>>();

/** `<version> <target>` -> who published it, for `scope/name` as of `commit`. */
export function publishersOf(dir: string, commit: string, name: string): Promise<Map<string, string>> {
  const key = `${dir}\0${commit}\0${name}`;
  const cached = cache.get(key);
  if (cached !== undefined) return cached;
  const loading = load(dir, commit, name);
  // a failure (git gone, a commit not fetched) is not kept: the next view tries again
  loading.catch(() => cache.delete(key));
  if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value as string);
  cache.set(key, loading);
  return loading;
}

async function load(dir: string, commit: string, name: string): Promise<Map<string, string>> {
  const publishers = new Map<string, string>();
  for (const entry of await readAuditLog(dir, commit, { path: name, limit: MAX_COMMITS })) {
    if (entry.action !== 'publish' || entry.package !== name || entry.version === null) continue;
    // newest first: a version published twice (after a reset) keeps its latest publisher
    for (const target of entry.targets) {
      const key = `${entry.version} ${target}`;
      if (!publishers.has(key)) publishers.set(key, whoOf(entry));
    }
  }
  return publishers;
}
