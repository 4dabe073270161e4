/**
 * After a publish lands, the CLI brings the clone's checkout along. It does so by touching
 * only the changed paths when that is provably what `git merge --ff-only` would do, and by
 * running merge otherwise. This compares the two on the same clone states: each scenario is
 * set up in two identical clones; one publishes, the other runs `git merge --ff-only` to
 * the pushed commit itself; HEAD, the staging area, the work tree, the warning and the hooks
 * must come out the same. The git trace says which way the publish went.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { appendFile, chmod, mkdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cli } from '../helpers/cli.js';
import { GIT_TEST_ENV, runGit } from '../helpers/git.js';
import { setupIndex, type IndexSetup } from '../helpers/index-setup.js';
import { writePackage } from '../helpers/package-fixture.js';

interface Scenario {
  what: string;
  /** the package the publish adds (a new version of acme/pkg unless said) */
  name?: string;
  prepare?: (clone: string) => Promise<void>;
  /** whether the path-limited update can decide alone */
  fast: boolean;
}

/** a clone with that hook, which merge would run */
function withHook(name: string): Scenario {
  return {
    what: `a ${name} hook`,
    prepare: async (c) => {
      const hook = path.join(c, '.git/hooks', name);
      await writeFile(hook, '#!/bin/sh\necho ran >> .git/hook-ran\n');
      await chmod(hook, 0o755);
    },
    fast: false,
  };
}

const SCENARIOS: Scenario[] = [
  { what: 'a clean checkout', fast: true },
  { what: 'a clean checkout, publishing into a new scope', name: 'fresh/pkg', fast: true },
  // git's push then leaves origin/main alone: the writer moves it itself (asserted for every scenario)
  { what: 'a clone without a fetch refspec', prepare: (c) => runGit(c, ['config', '--unset-all', 'remote.origin.fetch']).then(() => undefined), fast: true },
  { what: 'an unrelated file edited', prepare: (c) => appendFile(path.join(c, 'config.toml'), '\n# a local note\n'), fast: true },
  { what: 'the package file touched, content unchanged', prepare: (c) => utimes(path.join(c, 'acme/pkg'), new Date(), new Date(Date.now() + 60_000)), fast: true },
  { what: 'the package file edited', prepare: (c) => appendFile(path.join(c, 'acme/pkg'), '# local\n'), fast: false },
  {
    what: 'the package file edited and staged',
    prepare: async (c) => {
      await appendFile(path.join(c, 'acme/pkg'), '# staged\n');
      await runGit(c, ['add', 'acme/pkg']);
    },
    fast: false,
  },
  { what: 'the package file deleted', prepare: (c) => rm(path.join(c, 'acme/pkg')), fast: false },
  {
    what: 'an untracked file where the new package goes',
    name: 'acme/newer',
    prepare: (c) => writeFile(path.join(c, 'acme/newer'), 'mine\n'),
    fast: false,
  },
  {
    what: 'an untracked folder where the new scope goes',
    name: 'other/pkg',
    prepare: async (c) => {
      await mkdir(path.join(c, 'other'), { recursive: true });
      await writeFile(path.join(c, 'other/scope.toml'), 'owners = [9]\n');
    },
    fast: false,
  },
  {
    what: 'an unmerged path elsewhere',
    prepare: async (c) => {
      const oid = await runGit(c, ['rev-parse', 'HEAD:config.toml']);
      const zero = '0'.repeat(oid.length);
      const input = [`0 ${zero}\tconfig.toml`, ...[1, 2, 3].map((stage) => `100644 ${oid} ${stage}\tconfig.toml`), ''].join('\n');
      await gitWithInput(c, ['update-index', '--index-info'], input);
    },
    fast: false,
  },
  withHook('post-merge'),
  withHook('post-checkout'),
  // the other guards: git's own state files, whatever they hold
  { what: 'an unfinished merge (MERGE_HEAD)', prepare: async (c) => writeFile(path.join(c, '.git/MERGE_HEAD'), `${await runGit(c, ['rev-parse', 'HEAD'])}\n`), fast: false },
  { what: 'an unfinished cherry-pick (CHERRY_PICK_HEAD)', prepare: async (c) => writeFile(path.join(c, '.git/CHERRY_PICK_HEAD'), `${await runGit(c, ['rev-parse', 'HEAD'])}\n`), fast: false },
  {
    what: 'a sparse-checkout file',
    prepare: async (c) => {
      await mkdir(path.join(c, '.git/info'), { recursive: true });
      await writeFile(path.join(c, '.git/info/sparse-checkout'), '/*\n');
    },
    fast: false,
  },
  { what: 'a checkout one commit behind', prepare: (c) => runGit(c, ['reset', '--quiet', '--hard', 'HEAD~1']).then(() => undefined), fast: false },
];

function gitWithInput(dir: string, args: string[], input: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = execFile('git', args, { cwd: dir, env: { ...process.env, ...GIT_TEST_ENV } }, (error) => (error ? reject(error) : resolve()));
    child.stdin?.end(input);
  });
}

async function gitExit(dir: string, args: string[]): Promise<number> {
  return new Promise((resolve) => execFile('git', args, { cwd: dir, env: { ...process.env, ...GIT_TEST_ENV } }, (error) => resolve(error === null ? 0 : Number(error.code ?? 1))));
}

/** Everything of a clone a fast-forward may change. */
async function checkoutState(clone: string): Promise<Record<string, string | boolean>> {
  const files: Record<string, string | boolean> = {};
  for (const file of ['config.toml', 'acme/pkg', 'acme/newer', 'acme/scope.toml', 'fresh/pkg', 'fresh/scope.toml', 'other/pkg', 'other/scope.toml']) {
    const full = path.join(clone, file);
    files[file] = existsSync(full) ? await readFile(full, 'utf8') : false;
  }
  return {
    head: await runGit(clone, ['rev-parse', 'HEAD']),
    staged: await runGit(clone, ['ls-files', '--stage']),
    status: await runGit(clone, ['status', '--porcelain', '--untracked-files=all']),
    hookRan: existsSync(path.join(clone, '.git/hook-ran')),
    ...files,
  };
}

describe('the checkout after a publish', () => {
  let setup: IndexSetup;

  before(async () => {
    setup = await setupIndex({ prefix: 'pesde-checkout-' });
    const first = await writePackage(setup.root, 'pkg-1.0.0.tar.gz', { name: 'acme/pkg', version: '1.0.0' });
    const result = await cli(['publish', first, '--index', setup.clone, '--storage-root', setup.storage]);
    assert.equal(result.code, 0, result.stderr);
  });
  after(() => setup?.cleanup());

  SCENARIOS.forEach((scenario, i) => {
    it(`${scenario.what}: the same outcome as git merge --ff-only (${scenario.fast ? 'path-limited' : 'merge'})`, async () => {
      const [publisher, oracle] = [await setup.cloneAnother(`publisher-${i}`), await setup.cloneAnother(`oracle-${i}`)];
      for (const clone of [publisher, oracle]) await scenario.prepare?.(clone);

      const trace = path.join(setup.root, `trace-${i}.json`);
      const archive = await writePackage(setup.root, `scenario-${i}.tar.gz`, { name: scenario.name ?? 'acme/pkg', version: `1.1.${i}` });
      const result = await cli(['publish', archive, '--index', publisher, '--storage-root', setup.storage], { env: { GIT_TRACE2_EVENT: trace } });
      assert.equal(result.code, 0, result.stderr);
      const pushed = await runGit(publisher, ['rev-parse', 'origin/main']);
      assert.equal(pushed, await runGit(setup.remote, ['rev-parse', 'main']));

      await runGit(oracle, ['fetch', '--quiet', 'origin']);
      const merged = (await gitExit(oracle, ['merge', '--ff-only', '--quiet', pushed])) === 0;
      const warned = /could not be fast-forwarded/.test(result.stderr);
      assert.equal(warned, !merged, `publish warned: ${warned}, merge succeeded: ${merged}\n${result.stderr}`);
      assert.deepEqual(await checkoutState(publisher), await checkoutState(oracle));

      const argvs = (await readFile(trace, 'utf8')).split('\n').filter(Boolean).map((line) => JSON.parse(line) as { event: string; argv?: string[] });
      const ran = (sub: string) => argvs.some((e) => e.event === 'start' && e.argv?.[1] === sub);
      assert.equal(ran('merge') || ran('read-tree'), !scenario.fast, 'which way the checkout was updated');
    });
  });
});
