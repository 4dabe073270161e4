/**
 * The URLs this index is known by, computed in one place for the CLI's publish, the
 * server's publish route, the start-up banner and the web pages: the Git URL a pesde
 * client puts under `[indices]`, and every URL a dependency may use to name this index.
 */
import { pathToFileURL } from 'node:url';
import { sameRepoUrl } from './allow-list.js';

export interface IndexAddress {
  /** origin's URL as git has it (a path, a file URL, a network URL), null without one */
  remote: string | null;
  /** the other URLs it is known by: `--index-url`s, the embedded index's file URL */
  named: readonly string[];
}

/** What a pesde client puts under `[indices]` for an index in the bare repository `bareDir`. */
export function bareRepoUrl(bareDir: string): string {
  return pathToFileURL(bareDir).href;
}

/** Every URL a dependency may name this index by: origin (as given and as a file URL), then the named ones. */
export function knownIndexUrls(address: IndexAddress): string[] {
  const { remote } = address;
  const fromRemote = remote === null ? [] : remote.startsWith('/') ? [remote, pathToFileURL(remote).href] : [remote];
  return [...new Set([...fromRemote, ...address.named])];
}

/**
 * The URL for `[indices]`: origin when it is a network address (INDEX_REPO_URL, or a clone
 * of a hosted index), else the URLs the operator named (`--index-url`, the embedded index's
 * file URL), else origin as a file URL, else `api` (config.toml's) as a last resort.
 */
export function clientIndexUrl(address: IndexAddress, api: string): string {
  const { remote } = address;
  if (remote !== null && isNetworkUrl(remote)) return withoutCredentials(remote);
  const named = address.named[0];
  if (named !== undefined) return withoutCredentials(named);
  if (remote !== null) return remote.startsWith('/') ? pathToFileURL(remote).href : withoutCredentials(remote);
  return api;
}

/** Whether a dependency's `index` is this index, by any URL it is known by. */
export function isOwnIndexUrl(address: IndexAddress, api: string, url: string): boolean {
  return [...knownIndexUrls(address), clientIndexUrl(address, api)].some((own) => sameRepoUrl(own, url));
}

function isNetworkUrl(url: string): boolean {
  return /^(https?|ssh|git):\/\//i.test(url) || /^[^@/\s]+@[^:/\s]+:/.test(url);
}

/** An origin URL may carry a password or token (`https://bot:TOKEN@host/...`): a page must never show it. */
function withoutCredentials(url: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) return url;
  try {
    const parsed = new URL(url);
    if (parsed.password === '' && (parsed.username === '' || parsed.protocol === 'ssh:')) return url;
    parsed.password = '';
    if (parsed.protocol !== 'ssh:') parsed.username = '';
    return parsed.href;
  } catch {
    return url;
  }
}
