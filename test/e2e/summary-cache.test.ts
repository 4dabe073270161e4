/**
 * The summary cache: a start that finds the records of an earlier load reads from git only
 * the blobs it has no record of, and ends with the very state a load of every file gives.
 * On the real public index, plus files that take the other paths of a load: one the quick
 * scan declines (parsed in full), one that does not parse at all, and a scope file.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, open, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { IndexState } from '../../src/server/index-state.js';
import type { Logger } from '../../src/server/logger.js';
import type { PackageSummary } from '../../src/server/package-summary.js';
import { MAX_CACHE_FILE_BYTES, SummaryCache, summaryCacheFile } from '../../src/server/summary-cache.js';
import { FIXTURE_INDEX_BUNDLE } from '../helpers/fixture-index.js';
import { SCAN_DECLINED_FILE } from '../helpers/index-files.js';
import { runGit, tempDir } from '../helpers/git.js';
import { enc, startTestServer } from '../helpers/http.js';

let scratch: { dir: string; cleanup: () => Promise<void> };
let clone: string;
let cacheFile: string;
/** the commit with the extra files, and one more on top of it */
let head: string;
let next: string;

async function commit(files: Record<string, string>, message: string): Promise<string> {
  for (const [file, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(clone, file)), { recursive: true });
    await writeFile(path.join(clone, file), content);
  }
  await runGit(clone, ['add', '--all']);
  await runGit(clone, ['commit', '--quiet', '-m', message]);
  return runGit(clone, ['rev-parse', 'HEAD']);
}

/** Everything a summary holds, as plain data. */
function fields(summary: PackageSummary) {
  const { scope, name, full, oid, deprecated, shown, shownStart, shownEnd, lowerDescription, publishedKey, versions } = summary;
  return { scope, name, full, oid, deprecated, shown, shownStart, shownEnd, lowerDescription, publishedKey, versions };
}

function assertSameState(actual: IndexState, expected: IndexState): void {
  assert.equal(actual.packages.size, expected.packages.size);
  for (const [id, summary] of expected.packages) assert.deepEqual(fields(actual.packages.get(id)!), fields(summary), id);
  assert.deepEqual([...actual.scopes].sort(), [...expected.scopes].sort());
  assert.deepEqual(actual.config, expected.config);
  assert.equal(actual.search.search('', 0, 10_000).ids.join(), expected.search.search('', 0, 10_000).ids.join());
  assert.equal(actual.search.search('roblox', 0, 10_000).ids.join(), expected.search.search('roblox', 0, 10_000).ids.join());
}

async function load(commitId: string, cache?: Promise<SummaryCache>): Promise<IndexState> {
  const warnings: string[] = [];
  const state = await IndexState.load(clone, commitId, { warn: (m) => warnings.push(m), ...(cache === undefined ? {} : { summaryCache: cache }) });
  assert.deepEqual(warnings.map((w) => w.split(':')[0]), ['skipping odd_scope/broken'], 'the broken file is reported at every load');
  return state;
}

const opened: IndexState[] = [];
const track = (state: IndexState) => (opened.push(state), state);

before(async () => {
  scratch = await tempDir('pesde-summary-cache-test-');
  clone = path.join(scratch.dir, 'index');
  await runGit(scratch.dir, ['clone', '--quiet', FIXTURE_INDEX_BUNDLE, clone]);
  head = await commit({ 'odd_scope/commented': SCAN_DECLINED_FILE, 'odd_scope/broken': '["1.0.0 luau"\nnot toml\n', 'odd_scope/scope.toml': 'owners = [3, 9]\n' }, 'extra files');
  cacheFile = summaryCacheFile(path.join(clone, '.git'));
});

after(async () => {
  for (const state of opened) state.close();
  await scratch?.cleanup();
});

describe('the summary cache', () => {
  it('lets a second load read only config.toml and the file that does not parse, and end with the same state', async () => {
    await rm(cacheFile, { force: true });
    const first = SummaryCache.read(cacheFile);
    const cold = track(await load(head, first));
    const plain = track(await load(head));
    assert.equal(cold.filesRead, plain.filesRead, 'with no file, every blob is read');
    assert.equal(cold.filesRead, cold.packages.size + cold.scopes.size + 2);
    const written = await first;
    assert.equal(written.changed, true);
    // one record per package and per scope file's blob (scopes with the same owners share one); the broken file has none
    const scopeBlobs = new Set((await runGit(clone, ['ls-tree', '-r', head])).split('\n').filter((l) => l.endsWith('/scope.toml')).map((l) => l.split(/\s/)[2]));
    assert.equal(await written.write(), cold.packages.size + scopeBlobs.size);
    assert.equal(cold.packages.get('odd_scope/commented')?.shown?.description, 'Hand-written');
    assert.deepEqual(cold.scopes.get('odd_scope'), { owners: [3, 9] });

    const second = SummaryCache.read(cacheFile);
    const warm = track(await load(head, second));
    assert.equal(warm.filesRead, 2, 'config.toml and odd_scope/broken');
    assert.equal((await second).hits, cold.packages.size + cold.scopes.size);
    assert.equal((await second).changed, false, 'nothing new to write');
    assertSameState(warm, plain);
  });

  it('after new commits, reads only the blobs it has no record of', async () => {
    const rojo = await runGit(clone, ['show', `${head}:pesde/rojo`]);
    next = await commit({ 'pesde/rojo': rojo.replace(/description = "[^"]*"/g, 'description = "changed since the cache"'), 'odd_scope/fresh': SCAN_DECLINED_FILE.replace('Hand-written', 'New') }, 'two changes');
    const cache = SummaryCache.read(cacheFile);
    const warm = track(await load(next, cache));
    assert.equal(warm.filesRead, 4, 'config.toml, the broken file and the two changed files');
    assert.equal(warm.packages.get('pesde/rojo')?.shown?.description, 'changed since the cache');
    assertSameState(warm, track(await load(next)));
    // the record of rojo's old blob goes, the two new ones come
    assert.equal((await cache).changed, true);
    await (await cache).write();
    const again = SummaryCache.read(cacheFile);
    track(await load(next, again));
    assert.equal((await again).misses, 1, 'only the broken file');
    assert.equal((await again).changed, false);
  });

  it('is not used when another program (or another version of this one) wrote it', async () => {
    const text = await readFile(cacheFile, 'utf8');
    const header = JSON.parse(text.slice(0, text.indexOf('\n'))) as { kind: string; code: string };
    await writeFile(cacheFile, `${JSON.stringify({ ...header, code: 'f'.repeat(64) })}${text.slice(text.indexOf('\n'))}`);
    const cache = SummaryCache.read(cacheFile);
    const state = track(await load(next, cache));
    assert.equal((await cache).hits, 0);
    assert.equal(state.filesRead, state.packages.size + state.scopes.size + 2);
    await (await cache).write();
  });

  it('is not read when it is larger than the cap', async () => {
    const kept = await readFile(cacheFile);
    // sparse: no disk is spent on the size
    const handle = await open(cacheFile, 'r+');
    await handle.truncate(MAX_CACHE_FILE_BYTES + 1);
    await handle.close();
    const cache = SummaryCache.read(cacheFile);
    const state = track(await load(next, cache));
    assert.equal((await cache).unusable, `it is larger than ${MAX_CACHE_FILE_BYTES} bytes`);
    assert.equal(state.filesRead, state.packages.size + state.scopes.size + 2, 'every blob is read');
    await writeFile(cacheFile, kept);
  });

  it('reads the blob of a damaged record from git, and nothing else', async () => {
    const lines = (await readFile(cacheFile, 'utf8')).split('\n');
    const rojoOid = await runGit(clone, ['rev-parse', `${next}:pesde/rojo`]);
    const scopeOid = await runGit(clone, ['rev-parse', `${next}:odd_scope/scope.toml`]);
    const at = (oid: string) => lines.findIndex((l) => l.startsWith(`["${oid}"`));
    // the right shape with a wrong type, and a line cut short
    lines[at(rojoOid)] = lines[at(rojoOid)]!.replace(/^(\["[0-9a-f]+",)\d+/, '$1"many"');
    lines[at(scopeOid)] = lines[at(scopeOid)]!.slice(0, -3);
    await writeFile(cacheFile, lines.join('\n'));
    const cache = SummaryCache.read(cacheFile);
    const state = track(await load(next, cache));
    assert.equal(state.filesRead, 4, 'config.toml, the broken file and the two damaged records');
    assertSameState(state, track(await load(next)));
    assert.equal((await cache).changed, true, 'the two records are made again');
  });

  it('removes what writers that died mid-write left, and not what a running one writes', async () => {
    const dir = path.dirname(cacheFile);
    // a pid that was alive a moment ago and is not now
    const gone = await new Promise<number>((resolve) => {
      const child = spawn(process.execPath, ['-e', '0']);
      child.on('exit', () => resolve(child.pid!));
    });
    await writeFile(path.join(dir, `summaries.${gone}.tmp`), 'left by a crash');
    await writeFile(path.join(dir, `summaries.${process.ppid}.tmp`), 'being written');
    const cache = SummaryCache.read(cacheFile);
    track(await load(head, cache));
    await (await cache).write();
    const names = await readdir(dir);
    assert.ok(!names.includes(`summaries.${gone}.tmp`), names.join());
    assert.ok(names.includes(`summaries.${process.ppid}.tmp`), names.join());
    await rm(path.join(dir, `summaries.${process.ppid}.tmp`));
  });

  it('leaves the file as it was when the new one cannot be written', async () => {
    const before = await readFile(cacheFile, 'utf8');
    // where the new file is written first
    await mkdir(`${cacheFile}.${process.pid}.tmp`);
    const cache = SummaryCache.read(cacheFile);
    track(await load(head, cache));
    await assert.rejects((await cache).write());
    assert.equal(await readFile(cacheFile, 'utf8'), before);
    await rm(`${cacheFile}.${process.pid}.tmp`, { recursive: true });
  });
});

describe('a server with a summary cache', () => {
  it('writes it before it stops, and the next server starts from it and answers the same bytes', async () => {
    await rm(cacheFile, { force: true });
    const logs: string[] = [];
    const logger: Logger = { info: (m) => logs.push(`info ${m}`), warn: (m) => logs.push(`warn ${m}`), error: (m) => logs.push(`error ${m}`) };
    const paths = [`/v1/packages/${enc('pesde/rojo')}`, `/v1/packages/${enc('odd_scope/commented')}/latest/any`, '/v1/search?query=ro', '/v1/search?query='];
    const answers = async () => {
      const server = await startTestServer({ flags: { index: clone }, logger });
      try {
        return await Promise.all(paths.map(async (p) => (await server.get(p)).body.toString('utf8')));
      } finally {
        // closing waits for the cache to be written
        await server.dispose();
      }
    };
    const first = await answers();
    assert.ok(logs.some((l) => l.startsWith(`info wrote the summary cache ${cacheFile}`)), logs.join('\n'));
    const written = await readFile(cacheFile, 'utf8');
    logs.length = 0;
    const second = await answers();
    assert.deepEqual(second, first);
    assert.ok(!logs.some((l) => l.includes('wrote the summary cache')), 'nothing changed, nothing written');
    assert.equal(await readFile(cacheFile, 'utf8'), written);
  });

  it('serves with a warning when the cache can be neither read nor written', async () => {
    await rm(cacheFile, { force: true });
    await mkdir(cacheFile, { recursive: true });
    const logs: string[] = [];
    const logger: Logger = { info: () => undefined, warn: (m) => logs.push(m), error: (m) => logs.push(m) };
    const server = await startTestServer({ flags: { index: clone }, logger });
    try {
      assert.equal((await server.get(`/v1/packages/${enc('pesde/rojo')}`)).status, 200);
    } finally {
      await server.dispose();
      await rm(cacheFile, { recursive: true });
    }
    assert.ok(logs.some((l) => l.startsWith(`the summary cache ${cacheFile} was not used: it cannot be read (EISDIR)`)), logs.join('\n'));
    assert.ok(logs.some((l) => l.startsWith(`cannot write the summary cache ${cacheFile}:`)), logs.join('\n'));
  });
});
