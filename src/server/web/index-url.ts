/**
 * How pesde clients address this index: the Git URL that goes in `[indices]`, and every URL
 * a dependency may use to name this index (so the package page can link it).
 */
import { pathToFileURL } from 'node:url';
import { sameRepoUrl } from '../../index-repo/allow-list.js';
import type { ServerContext } from '../context.js';

/**
 * The URL for `[indices]`: origin when it is a network address (INDEX_REPO_URL, or a clone
 * of a hosted index), else the URLs the operator named (`--index-url`, the embedded index's
 * file URL), else origin as a file URL, else the api URL from config.toml as a last resort.
 */
export function clientIndexUrl(server: ServerContext): string {
  const remote = server.write.index.remote;
  if (remote !== null && isNetworkUrl(remote)) return withoutCredentials(remote);
  const named = server.write.ownIndexUrls[0];
  if (named !== undefined) return withoutCredentials(named);
  if (remote !== null) return remote.startsWith('/') ? pathToFileURL(remote).href : withoutCredentials(remote);
  return server.state().config.api;
}

/** Whether a dependency's `index` is this index, by any URL it is known by. */
export function isOwnIndex(server: ServerContext, index: string): boolean {
  const own = [server.write.index.remote, ...server.write.ownIndexUrls, clientIndexUrl(server)];
  return own.some((url) => url !== null && sameRepoUrl(url, index));
}

function isNetworkUrl(url: string): boolean {
  return /^(https?|ssh|git):\/\//i.test(url) || /^[^@/\s]+@[^:/\s]+:/.test(url);
}

/**
 * An origin URL may carry a password or token (`https://bot:TOKEN@host/...`): a page
 * must never show it.
 */
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
