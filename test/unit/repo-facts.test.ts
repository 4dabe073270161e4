/**
 * The config facts read in one `git config --list` must be what git answers to each
 * question on its own (`config --get`, `remote get-url [--push]`, `config core.sshCommand`),
 * in every configuration that changes the answer: rewriting rules, push URLs, several URLs,
 * no origin, an empty or valueless identity.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { tryGit } from '../../src/index-repo/git.js';
import { isSshUrl } from '../../src/index-repo/git-network.js';
import { readRepoFacts, type RepoFacts } from '../../src/index-repo/repo-facts.js';
import { runGit, tempDir } from '../helpers/git.js';

async function askedOneByOne(dir: string): Promise<RepoFacts> {
  const value = async (args: string[]) => {
    const result = await tryGit(dir, args);
    return result.exitCode === 0 && result.stdout.trim() !== '' ? result.stdout.trim() : undefined;
  };
  const url = async (push: boolean) => (await value(['remote', 'get-url', ...(push ? ['--push'] : []), 'origin'])) ?? null;
  const ssh = async (u: string | null) => u !== null && isSshUrl(u) && (await value(['config', '--get', 'core.sshCommand'])) !== undefined;
  const [fetchUrl, pushUrl] = [await url(false), await url(true)];
  return {
    userName: await value(['config', '--get', 'user.name']),
    userEmail: await value(['config', '--get', 'user.email']),
    fetch: { url: fetchUrl, customSsh: await ssh(fetchUrl) },
    push: { url: pushUrl, customSsh: await ssh(pushUrl) },
  };
}

const CONFIGS: Array<[string, string[][]]> = [
  ['no origin, no identity', []],
  ['a plain origin and identity', [['remote', 'add', 'origin', '/srv/index.git'], ['config', 'user.name', ' Ada L '], ['config', 'user.email', 'ada@example.test']]],
  ['an identity given twice (the last wins)', [['config', 'user.name', 'first'], ['config', '--add', 'user.name', 'second']]],
  ['an empty identity', [['config', 'user.name', ''], ['config', 'user.email', '  ']]],
  ['a url rewritten by insteadOf', [['remote', 'add', 'origin', 'gh:acme/index'], ['config', 'url.https://example.test/.insteadOf', 'gh:']]],
  ['a url rewritten for pushes only', [['remote', 'add', 'origin', 'https://example.test/index'], ['config', 'url.ssh://git@example.test/.pushInsteadOf', 'https://example.test/']]],
  ['a separate push url', [['remote', 'add', 'origin', '/srv/index.git'], ['config', 'remote.origin.pushurl', '/srv/push.git']]],
  ['two urls', [['remote', 'add', 'origin', '/srv/one.git'], ['config', '--add', 'remote.origin.url', '/srv/two.git']]],
  ['ssh with the user\'s own ssh command', [['remote', 'add', 'origin', 'git@example.test:acme/index.git'], ['config', 'core.sshCommand', 'ssh -i key']]],
  ['ssh without one', [['remote', 'add', 'origin', 'ssh://git@example.test/acme/index.git']]],
];

describe('repository config facts', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  before(async () => {
    ({ dir, cleanup } = await tempDir('pesde-repo-facts-'));
  });
  after(() => cleanup?.());

  CONFIGS.forEach(([what, commands], i) => {
    it(`${what}: the same answers as asking git one question at a time`, async () => {
      const repo = `${dir}/repo-${i}`;
      await runGit(dir, ['init', '--quiet', repo]);
      for (const args of commands) await runGit(repo, args);
      assert.deepEqual(await readRepoFacts(repo), await askedOneByOne(repo));
    });
  });

  it('a config git cannot read is asked question by question (and answers as git does)', async () => {
    const repo = `${dir}/broken`;
    await runGit(dir, ['init', '--quiet', repo]);
    const { appendFile } = await import('node:fs/promises');
    await appendFile(`${repo}/.git/config`, '[broken\n');
    assert.deepEqual(await readRepoFacts(repo), await askedOneByOne(repo));
  });
});
