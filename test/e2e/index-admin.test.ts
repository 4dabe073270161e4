import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseIndexFile } from '../../src/index-repo/package-file.js';
import { cli } from '../helpers/cli.js';
import { runGit } from '../helpers/git.js';
import { setupIndex } from '../helpers/index-setup.js';
import { writePackage } from '../helpers/package-fixture.js';

describe('pesde-registry yank / unyank / deprecate / undeprecate', () => {
  let root: string;
  let cleanup: () => Promise<void>;
  let remote: string;
  let clone: string;

  before(async () => {
    let storage: string;
    ({ root, remote, clone, storage, cleanup } = await setupIndex());
    for (const target of ['roblox', 'luau'] as const) {
      const file = await writePackage(root, `p-${target}.tar.gz`, { name: 'acme/tool', version: '1.0.0', target });
      const r = await cli(['publish', file, '--index', clone, '--storage-root', storage]);
      assert.equal(r.code, 0, r.stderr);
    }
  });
  after(() => cleanup());

  const remoteFile = async () => parseIndexFile(await runGit(remote, ['show', 'main:acme/tool']));
  const lastMessage = () => runGit(remote, ['log', '-1', '--format=%s', 'main']);

  it('yanks one target with the official commit message, then refuses to yank it again', async () => {
    const result = await cli(['yank', 'acme/tool', '1.0.0', 'luau', '--index', clone, '--json']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal((JSON.parse(result.stdout) as { summary: string }).summary, 'yanked acme/tool@1.0.0 luau');
    assert.equal(await lastMessage(), 'yank acme/tool@1.0.0 luau');
    const file = await remoteFile();
    assert.deepEqual(file.entries.map((e) => [e.id.target, Boolean(e.entry.yanked)]), [['roblox', false], ['luau', true]]);
    const again = await cli(['yank', 'acme/tool', '1.0.0', 'luau', '--index', clone]);
    assert.equal(again.code, 4);
    assert.match(again.stderr, /already yanked/);
  });

  it('yanks all remaining targets and unyanks them', async () => {
    assert.equal((await cli(['yank', 'acme/tool', '1.0.0', '--index', clone])).code, 0);
    assert.equal(await lastMessage(), 'yank acme/tool@1.0.0 roblox');
    const un = await cli(['unyank', 'acme/tool', '1.0.0', 'all', '--index', clone]);
    assert.equal(un.code, 0, un.stderr);
    assert.equal(await lastMessage(), 'unyank acme/tool@1.0.0 roblox, luau');
    assert.ok((await remoteFile()).entries.every((e) => e.entry.yanked === undefined));
  });

  it('deprecates and undeprecates', async () => {
    const dep = await cli(['deprecate', 'acme/tool', 'use acme/other instead', '--index', clone]);
    assert.equal(dep.code, 0, dep.stderr);
    assert.equal(await lastMessage(), 'deprecate acme/tool');
    assert.equal((await remoteFile()).deprecated, 'use acme/other instead');
    assert.match(await runGit(remote, ['show', 'main:acme/tool']), /^\[meta\]\ndeprecated = "use acme\/other instead"\n\n/);
    assert.equal((await cli(['deprecate', 'acme/tool', 'use acme/other instead', '--index', clone])).code, 4);
    assert.equal((await cli(['undeprecate', 'acme/tool', '--index', clone])).code, 0);
    assert.equal(await lastMessage(), 'undeprecate acme/tool');
    assert.equal((await remoteFile()).deprecated, undefined);
    assert.equal((await cli(['undeprecate', 'acme/tool', '--index', clone])).code, 4);
  });

  it('checks owners, names, versions and targets, changing nothing on failure', async () => {
    const head = await runGit(remote, ['rev-parse', 'main']);
    const cases: Array<[string[], number, RegExp]> = [
      [['yank', 'acme/tool', '1.0.0', '--owner', '7'], 5, /not an owner of scope "acme"/],
      [['deprecate', 'acme/tool', 'x', '--owner', '7'], 5, /not an owner/],
      [['yank', 'acme/missing', '1.0.0'], 6, /does not exist/],
      [['yank', 'acme/tool', '9.9.9'], 6, /does not exist/],
      [['yank', 'acme/tool', '1.0'], 3, /version/],
      [['yank', 'acme/tool', '1.0.0', 'web'], 3, /target/],
      [['yank', 'Acme/Tool', '1.0.0'], 3, /invalid package name/],
      [['deprecate', 'acme/tool', '   '], 2, /non-empty reason/],
    ];
    for (const [args, code, pattern] of cases) {
      const result = await cli([...args, '--index', clone]);
      assert.equal(result.code, code, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, pattern);
    }
    assert.equal(await runGit(remote, ['rev-parse', 'main']), head);
  });
});
