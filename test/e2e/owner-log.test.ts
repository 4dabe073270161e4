/**
 * `owner list|add|remove` and `log` through the real CLI on a clone with a bare remote:
 * scope.toml in the official format, the commit message and trailer, refusals with their
 * exit codes, owner changes racing publishes from other clones, and the audit trailer of
 * every write path (CLI publish, yank, deprecate, owner; HTTP publish, yank, deprecate)
 * read back by `log`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { serializeScopeInfo } from '../../src/index-repo/scope-file.js';
import { cli, type CliResult } from '../helpers/cli.js';
import { runGit } from '../helpers/git.js';
import { buildPackage, writePackage } from '../helpers/package-fixture.js';
import { enc, startTestServer } from '../helpers/http.js';
import { setupIndex, type IndexSetup } from '../helpers/index-setup.js';

const ADMIN = { COMMITTER_GIT_NAME: 'Ann Admin', COMMITTER_GIT_EMAIL: 'ann@acme.test' };

interface LogEntry {
  subject: string;
  action: string;
  package: string | null;
  actor: { key: string; userName: string; userId: number | null; tokenId: string | null; via: string | null } | null;
}

let setup: IndexSetup;
let alice: { token: string; id: string };

function run(args: string[], opts: { cwd?: string; storage?: boolean } = {}): Promise<CliResult> {
  return cli(args, { cwd: opts.cwd ?? setup.clone, env: { ...ADMIN, ...(opts.storage === false ? {} : { FS_STORAGE_ROOT: setup.storage }) } });
}

async function ok(args: string[], opts: { cwd?: string; storage?: boolean } = {}): Promise<Record<string, unknown>> {
  const result = await run([...args, '--json'], opts);
  assert.equal(result.code, 0, `${args.join(' ')}: ${result.stdout}${result.stderr}`);
  return JSON.parse(result.stdout) as Record<string, unknown>;
}

const scopeFile = (scope: string) => runGit(setup.remote, ['show', `main:${scope}/scope.toml`]);
const lastMessage = async () => (await runGit(setup.remote, ['log', '-1', '--format=%B', 'main'])).trim();

before(async () => {
  setup = await setupIndex({ prefix: 'pesde-owner-log-' });
  alice = (await ok(['token', 'create', '--user', 'alice'])) as unknown as { token: string; id: string };
  await ok(['token', 'create', '--user', 'bob']);
  const file = await writePackage(setup.root, 'foo.tar.gz', { name: 'acme/foo', version: '1.0.0' });
  await ok(['publish', file, '--owner', '1']);
});
after(() => setup?.cleanup());

describe('owner', () => {
  it('lists owners with their user names when the token store is at hand', async () => {
    assert.deepEqual(await ok(['owner', 'list', 'acme']), { scope: 'acme', owners: [{ id: 1, user: 'alice' }] });
    assert.deepEqual(await ok(['owner', 'list', 'acme'], { storage: false }), { scope: 'acme', owners: [{ id: 1, user: null }] });
    const text = await run(['owner', 'list', 'acme']);
    assert.equal(text.stdout, '✔ owners of acme: alice (1)\n');
  });

  it('adds an owner by name: official scope.toml, official-style subject, audit trailer', async () => {
    const added = await ok(['owner', 'add', 'acme', 'bob', '--owner', '1']);
    assert.deepEqual(added.owners, [1, 2]);
    assert.equal(added.pushed, true);
    assert.equal(await scopeFile('acme'), serializeScopeInfo({ owners: [1, 2] }).trimEnd());
    assert.equal(await lastMessage(), 'add owner 2 to acme\n\nOwners-changed-by: Ann Admin <ann@acme.test> (id 1, via cli)');
    // a scope that does not exist yet is created (reserved) by its first owner
    await ok(['owner', 'add', 'tools', '7']);
    assert.equal(await scopeFile('tools'), 'owners = [7]');
  });

  it('refuses what would change nothing, the last owner, unknown users and bad input, changing nothing', async () => {
    const tip = await runGit(setup.remote, ['rev-parse', 'main']);
    const cases: Array<[string[], number, RegExp, boolean?]> = [
      [['owner', 'add', 'acme', '2'], 4, /2 is already an owner of scope "acme"/],
      [['owner', 'remove', 'acme', '9'], 4, /9 is not an owner of scope "acme" \(owners: 1, 2\)/],
      [['owner', 'remove', 'tools', '7'], 4, /7 is the last owner of scope "tools": add another owner first/],
      [['owner', 'remove', 'nope', '7'], 6, /scope "nope" does not exist/],
      [['owner', 'list', 'nope'], 6, /scope "nope" does not exist/],
      [['owner', 'add', 'acme', 'carol'], 6, /there is no user "carol" in the token store/],
      [['owner', 'add', 'acme', 'bob'], 2, /is a user name: pass the storage flags/, false],
      [['owner', 'add', 'A!', '1'], 3, /invalid scope "A!"/],
      [['owner', 'add', 'acme'], 2, /missing required argument/],
    ];
    for (const [args, code, message, storage] of cases) {
      const result = await run(args, { storage: storage ?? true });
      assert.equal(result.code, code, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, message, args.join(' '));
    }
    assert.equal(await runGit(setup.remote, ['rev-parse', 'main']), tip);
  });

  it('removes an owner, and lands owner changes that race publishes from other clones', async () => {
    await ok(['owner', 'remove', 'acme', '1', '--owner', '2']);
    assert.equal(await scopeFile('acme'), 'owners = [2]');
    // one clone per process, as on separate machines
    const clones = await Promise.all([0, 1, 2, 3, 4, 5, 6].map((n) => setup.cloneAnother(`racer-${n}`)));
    const archives = await Promise.all([0, 1, 2, 3].map((n) => writePackage(setup.root, `bar_${n}.tar.gz`, { name: `acme/bar_${n}`, version: '1.0.0' })));
    const results = await Promise.all([
      ...archives.map((file, n) => run(['publish', file, '--owner', '2', '--json'], { cwd: clones[n] })),
      ...[5, 6, 7].map((id, n) => run(['owner', 'add', 'acme', String(id), '--owner', '2', '--json'], { cwd: clones[4 + n] })),
    ]);
    for (const r of results) assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(await scopeFile('acme'), 'owners = [2, 5, 6, 7]');
    const files = await runGit(setup.remote, ['ls-tree', '--name-only', 'main', 'acme/']);
    for (const n of [0, 1, 2, 3]) assert.ok(files.split('\n').includes(`acme/bar_${n}`), files);
  });
});

describe('log and the audit trail of every write path', () => {
  it('records who on CLI yank and deprecate, and on HTTP publish, yank and deprecate', async () => {
    await ok(['yank', 'acme/foo', '1.0.0', '--owner', '2']);
    await ok(['deprecate', 'acme/foo', 'use acme/bar_0', '--owner', '2']);
    await ok(['owner', 'add', 'acme', '1', '--owner', '2']);
    const clone = await setup.cloneAnother('server');
    const server = await startTestServer({ flags: { index: clone, storageRoot: setup.storage } });
    try {
      const headers = { authorization: `Bearer ${alice.token}` };
      assert.equal((await server.get('/v1/packages', { method: 'POST', headers, body: await buildPackage({ name: 'acme/web', version: '2.0.0' }) })).status, 200);
      assert.equal((await server.get(`/v1/packages/${enc('acme/web')}/2.0.0/luau/yank`, { method: 'PUT', headers })).status, 200);
      assert.equal((await server.get(`/v1/packages/${enc('acme/web')}/deprecate`, { method: 'PUT', headers, body: 'gone' })).status, 200);
      // the web pages show who published the version, from the same trailers
      const page = { headers: { ...headers, accept: 'text/html' } };
      const versions = await server.get('/packages/acme/web/versions', page);
      assert.equal(versions.status, 200);
      assert.match(versions.text, new RegExp(`<td class="small">alice \\(id \\d+\\)</td>`));
      assert.match((await server.get('/packages/acme/web', page)).text, new RegExp(`<dt>Published by</dt><dd>alice \\(id \\d+\\)</dd>`));
    } finally {
      await server.dispose();
    }
  });

  it('lists every write with when, what and who, for the whole index or one package', async () => {
    const { entries } = (await ok(['log'])) as unknown as { entries: Array<LogEntry & { date: string; commit: string }> };
    const cliWho = 'Ann Admin <ann@acme.test>';
    const expect: Array<[string, string, string, string | null]> = [
      ['deprecate acme/web', 'Deprecated-by', 'alice', alice.id],
      ['yank acme/web@2.0.0 luau', 'Yanked-by', 'alice', alice.id],
      ['add acme/web@2.0.0 luau', 'Published-by', 'alice', alice.id],
      ['add owner 1 to acme', 'Owners-changed-by', cliWho, null],
      ['deprecate acme/foo', 'Deprecated-by', cliWho, null],
      ['yank acme/foo@1.0.0 luau', 'Yanked-by', cliWho, null],
    ];
    expect.forEach(([subject, key, who, tokenId], i) => {
      const entry = entries[i]!;
      assert.equal(entry.subject, subject);
      assert.equal(entry.actor?.key, key, subject);
      assert.equal(entry.actor?.userName, who, subject);
      assert.equal(entry.actor?.tokenId, tokenId, subject);
      assert.match(entry.date, /^\d{4}-\d\d-\d\dT/);
    });
    const firstPublish = entries.find((e) => e.subject === 'add acme/foo@1.0.0 luau');
    assert.deepEqual(firstPublish?.actor, { raw: `${cliWho} (id 1, via cli)`, key: 'Published-by', userName: cliWho, userId: 1, tokenId: null, via: 'cli' });
    const init = entries.at(-1)!;
    assert.equal(init.actor, null, 'the scaffold commit was written for nobody');
    for (const e of entries.slice(0, -1)) assert.notEqual(e.actor, null, `${e.subject} has no audit trailer`);

    const foo = (await ok(['log', 'acme/foo'])) as unknown as { entries: LogEntry[] };
    assert.deepEqual(foo.entries.map((e) => e.subject), ['deprecate acme/foo', 'yank acme/foo@1.0.0 luau', 'add acme/foo@1.0.0 luau']);
    const text = await run(['log', 'acme/web', '--limit', '1']);
    assert.match(text.stdout, /^✔ \d{4}-\d\d-\d\dT\S+ {2}deprecate acme\/web {2}by alice \(id 1\)\n$/);
    assert.equal((await run(['log', 'Bad/Name'])).code, 3);
  });
});
