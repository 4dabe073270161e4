/**
 * What one operation needs to know from a clone's git configuration, read in one
 * `git config --list` instead of a git process per question: the commit identity
 * (user.name/email), origin's fetch and push URLs, and whether ssh is the user's own.
 * Spawning git costs a CLI run a few milliseconds each and a server's event loop 10-40 ms
 * at a large heap, and a publish asked these questions a dozen times.
 *
 * The answers must be the ones git itself gives, so the config is only trusted where it
 * is unambiguous: one `remote.origin.url`, no `pushurl`, no `insteadOf` rewriting. Anything
 * else (or a config git cannot read) is asked of git the usual way.
 */
import { tryGit } from './git.js';
import { isSshUrl, type RemoteFacts } from './git-network.js';
import { configValue, originUrl } from './git-queries.js';

export interface RepoFacts {
  /** `git config --get user.name` / `user.email`: the last value, trimmed; undefined when unset or empty */
  userName: string | undefined;
  userEmail: string | undefined;
  /** `git remote get-url origin`, null without an origin */
  fetch: RemoteFacts;
  /** `git remote get-url --push origin` */
  push: RemoteFacts;
}

export async function readRepoFacts(dir: string): Promise<RepoFacts> {
  const listed = await tryGit(dir, ['config', '-z', '--list']);
  const values = new Map<string, string[]>();
  if (listed.exitCode === 0) {
    for (const record of listed.stdout.split('\0')) {
      if (record === '') continue;
      const newline = record.indexOf('\n');
      // a key without `=` (an implicit true) has no value line
      const key = (newline < 0 ? record : record.slice(0, newline)).toLowerCase();
      const list = values.get(key) ?? [];
      list.push(newline < 0 ? '' : record.slice(newline + 1));
      values.set(key, list);
    }
  }
  const last = (key: string): string | undefined => {
    if (listed.exitCode !== 0) return undefined;
    const value = values.get(key)?.at(-1)?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const [userName, userEmail] = listed.exitCode === 0 ? [last('user.name'), last('user.email')] : await Promise.all([configValue(dir, 'user.name'), configValue(dir, 'user.email')]);

  const urls = values.get('remote.origin.url') ?? [];
  const plain = listed.exitCode === 0 && urls.length === 1 && !values.has('remote.origin.pushurl') && ![...values.keys()].some((key) => key.startsWith('url.'));
  const [fetchUrl, pushUrl] = plain ? [urls[0]!, urls[0]!] : await Promise.all([originUrl(dir), originUrl(dir, { push: true })]);
  const sshCommand = listed.exitCode === 0 ? last('core.sshcommand') : undefined;
  const customSsh = async (url: string | null): Promise<boolean> => {
    if (url === null || !isSshUrl(url)) return false;
    return listed.exitCode === 0 ? sshCommand !== undefined : (await configValue(dir, 'core.sshCommand')) !== undefined;
  };
  return {
    userName,
    userEmail,
    fetch: { url: fetchUrl, customSsh: await customSsh(fetchUrl) },
    push: { url: pushUrl, customSsh: await customSsh(pushUrl) },
  };
}
