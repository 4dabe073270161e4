/**
 * Tree objects edited in place: the bytes must be exactly those `git mktree` writes for the
 * same entries, and anything mktree would rewrite (a non-canonical mode, unsorted entries)
 * or a change the splice cannot express (a new name, a new mode) must be declined.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { locate, treeEntries, withIds, type RawTree, type TreeEntry } from '../../src/index-repo/tree-object.js';

/** The tree with `changes` in place, and the old entries, as the commit builder uses it. */
function spliced(tree: RawTree, changes: Map<string, TreeEntry>): { body: Buffer; old: Map<string, TreeEntry> } | null {
  const located = locate(tree, [...changes.keys()]);
  const body = withIds(tree, located, changes);
  return body === null ? null : { body, old: new Map([...located.entries].map(([name, found]) => [name, found.entry])) };
}
const findEntry = (tree: RawTree, name: string) => locate(tree, [name]).entries.get(name)?.entry;
import { GIT_TEST_ENV, tempDir } from '../helpers/git.js';

function git(dir: string, args: string[], input?: string | Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = execFile('git', args, { cwd: dir, env: { ...process.env, ...GIT_TEST_ENV }, encoding: 'buffer' }, (error, stdout) => (error ? reject(error) : resolve(stdout)));
    // git may exit before reading stdin (cat-file): the exit code tells, not the pipe
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(input ?? '');
  });
}

const text = async (dir: string, args: string[], input?: string | Buffer) => (await git(dir, args, input)).toString('utf8').trim();

describe('tree objects edited in place', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let blobs: string[];
  let folder: string;

  before(async () => {
    ({ dir, cleanup } = await tempDir('pesde-tree-object-'));
    await git(dir, ['init', '--quiet']);
    blobs = await Promise.all(['one\n', 'two\n', 'three\n'].map((content) => text(dir, ['hash-object', '-w', '--stdin'], content)));
    folder = await text(dir, ['mktree'], `100644 blob ${blobs[0]}\tinner\n`);
  });
  after(() => cleanup?.());

  /** mktree's tree for `lines` (`<mode> <type> <oid>\t<name>`), and its raw bytes */
  async function makeTree(lines: string[]): Promise<RawTree> {
    const oid = await text(dir, ['mktree'], `${lines.join('\n')}\n`);
    return { oid, body: await git(dir, ['cat-file', 'tree', oid]) };
  }

  // names whose order depends on git's rule that a folder sorts as if its name ended in `/`
  const entries = () => [`100644 blob ${blobs[0]}\ta-b`, `040000 tree ${folder}\ta`, `100644 blob ${blobs[1]}\ta.b`, `100644 blob ${blobs[0]}\tab`, `100755 blob ${blobs[1]}\trun`, `100644 blob ${blobs[2]}\tscope.toml`];

  it('replacing ids gives the bytes mktree writes for the changed entries', async () => {
    const tree = await makeTree(entries());
    const newFolder = await text(dir, ['mktree'], `100644 blob ${blobs[2]}\tinner\n`);
    const result = spliced(tree, new Map([['a', { mode: '40000', oid: newFolder }], ['ab', { mode: '100644', oid: blobs[2]! }]]));
    assert.ok(result);
    assert.deepEqual(result.old.get('a'), { mode: '40000', oid: folder });
    assert.deepEqual(result.old.get('ab'), { mode: '100644', oid: blobs[0] });
    const expected = await makeTree(entries().map((line) => line.replace(`${folder}\ta`, `${newFolder}\ta`).replace(`${blobs[0]}\tab`, `${blobs[2]}\tab`)));
    assert.deepEqual(result.body, expected.body);
    assert.equal(await text(dir, ['hash-object', '-t', 'tree', '--stdin'], result.body), expected.oid);
  });

  it('declines a new name, a changed mode, and a tree mktree would rewrite', async () => {
    const tree = await makeTree(entries());
    assert.equal(spliced(tree, new Map([['new', { mode: '100644', oid: blobs[0]! }]])), null);
    assert.equal(spliced(tree, new Map([['run', { mode: '100644', oid: blobs[0]! }]])), null);
    // a zero-padded folder mode, as some old tools wrote it: mktree would write `40000`
    const padded = Buffer.from(tree.body.toString('latin1').replace('40000 a\0', '040000 a\0'), 'latin1');
    const odd = { oid: await text(dir, ['hash-object', '--literally', '-t', 'tree', '-w', '--stdin'], padded), body: padded };
    assert.equal(spliced(odd, new Map([['ab', { mode: '100644', oid: blobs[2]! }]])), null);
    // the same entries out of git's order (mktree would sort them)
    const parts = [...treeEntries(tree)];
    assert.deepEqual(parts.map(([name]) => name), ['a-b', 'a.b', 'a', 'ab', 'run', 'scope.toml']);
    const raw = (list: typeof parts) => Buffer.concat(list.flatMap(([name, e]) => [Buffer.from(`${e.mode} ${name}\0`), Buffer.from(e.oid, 'hex')]));
    assert.deepEqual(raw(parts), tree.body);
    const unsorted = raw([parts[1]!, parts[0]!, ...parts.slice(2)]);
    const shuffled = { oid: await text(dir, ['hash-object', '--literally', '-t', 'tree', '-w', '--stdin'], unsorted), body: unsorted };
    assert.equal(spliced(shuffled, new Map([['ab', { mode: '100644', oid: blobs[2]! }]])), null);
  });

  it('finds and lists entries', async () => {
    const tree = await makeTree(entries());
    assert.deepEqual(findEntry(tree, 'a'), { mode: '40000', oid: folder });
    assert.deepEqual(findEntry(tree, 'run'), { mode: '100755', oid: blobs[1] });
    assert.equal(findEntry(tree, 'missing'), undefined);
    assert.equal(treeEntries(tree).size, 6);
    assert.throws(() => treeEntries({ oid: tree.oid, body: tree.body.subarray(0, tree.body.length - 3) }), /malformed/);
  });
});
