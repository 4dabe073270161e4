/**
 * URL comparison for the allow lists of config.toml (`git_allowed`, `other_registries_allowed`,
 * `wally_allowed`) and for recognising this registry's own index.
 *
 * The official registry compares `gix::Url`s after stripping a trailing `.git` from the
 * candidate only, so a list entry written with `.git` never matches anything; protocol.md
 * says both sides are stripped, which is what users expect, so we strip both. We also ignore
 * a trailing `/` and the case of the scheme and host, which no Git host distinguishes.
 */
import { pathToFileURL } from 'node:url';
import type { AllowList } from './types.js';

/** `user@host:path`, the scp-like syntax Git (and gix) accept for SSH. */
const SCP_LIKE = /^([^@/\s]+)@([^:/\s]+):(?!\/\/)(.+)$/;

/**
 * A canonical text for comparing repository URLs, or undefined when `url` is not an
 * absolute URL, scp-like address or absolute path: such a value can never match anything.
 * (gix would read a relative path such as `default` as a local repository; that is always a
 * mistake in a published package, an index name the client failed to replace.)
 */
export function canonicalRepoUrl(url: string): string | undefined {
  const trimmed = url.trim();
  const scp = SCP_LIKE.exec(trimmed);
  let text = trimmed;
  // gix reads scp-like addresses as ssh URLs, and absolute paths (what `git remote get-url`
  // prints for a local remote) as file URLs; compare them as such.
  if (scp) text = `ssh://${scp[1]}@${scp[2]}/${(scp[3] as string).replace(/^\/+/, '')}`;
  else if (/^[A-Za-z]:[\\/]/.test(trimmed)) text = pathToFileURL(`/${trimmed.replace(/\\/g, '/')}`).href;
  else if (trimmed.startsWith('/')) text = pathToFileURL(trimmed).href;
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    return undefined;
  }
  if (parsed.host === '' && parsed.protocol !== 'file:') return undefined;
  let path = parsed.pathname.replace(/\/+$/, '');
  path = path.replace(/\.git$/, '').replace(/\/+$/, '');
  const userinfo = parsed.username === '' ? '' : `${parsed.username}${parsed.password === '' ? '' : `:${parsed.password}`}@`;
  return `${parsed.protocol.toLowerCase()}//${userinfo}${parsed.host.toLowerCase()}${path}${parsed.search}`;
}

/** Whether two URLs name the same repository (trailing `.git` and `/` ignored). */
export function sameRepoUrl(a: string, b: string): boolean {
  const left = canonicalRepoUrl(a);
  return left !== undefined && left === canonicalRepoUrl(b);
}

/**
 * `true` allows every URL, `false` none, a list the URLs it names. A value that is not a URL
 * is never allowed, even by `true`: the official registry refuses what gix cannot parse.
 */
export function isAllowed(list: AllowList, url: string): boolean {
  if (canonicalRepoUrl(url) === undefined) return false;
  if (typeof list === 'boolean') return list;
  return list.some((entry) => sameRepoUrl(entry, url));
}
