/**
 * The byte scanner (`package-scan.ts`, what start-up reads 50,000 files with) against the
 * full parser (`parseIndexFile`): on every version of every package file in the real fixture
 * index's history, and on files fuzzed from them, whatever the scanner answers (it may
 * decline with null) is what the parser says; and a file the scanner summarises but the
 * parser rejects is never answered from the summary: the package is absent, reported once.
 */
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { renderConfigTemplate } from '../../src/index-repo/config-template.js';
import { parseIndexFile } from '../../src/index-repo/package-file.js';
import { formatVersionId, parseSemver } from '../../src/index-repo/version.js';
import { IndexState } from '../../src/server/index-state.js';
import { scanIndexFile } from '../../src/server/package-scan.js';
import { shownEntry, sortedAndShown } from '../../src/server/package-summary.js';
import { TARGET_KINDS } from '../../src/index-repo/types.js';
import { canonicalSortKey, parsedSortKey, timestampSortKey } from '../../src/published-at.js';
import { cloneFixtureIndex, git, readObjects } from '../helpers/fixture-index.js';
import { runGit, tempDir } from '../helpers/git.js';
import { seededRandom } from '../helpers/seeded-random.js';

interface Facts {
  deprecated: string | undefined;
  entries: string[];
}

function fromScan(text: Buffer): Facts | null {
  const scanned = scanIndexFile(text);
  if (scanned === null) return null;
  return {
    deprecated: scanned.deprecated || undefined,
    entries: scanned.entries.map((e) => JSON.stringify([formatVersionId(e.id), e.yanked, e.publishedAt, e.description ?? null])).sort(),
  };
}

function fromParse(text: Buffer): Facts | Error {
  try {
    const file = parseIndexFile(text.toString('utf8'));
    return {
      deprecated: file.deprecated || undefined,
      entries: file.entries.map((e) => JSON.stringify([formatVersionId(e.id), e.entry.yanked === true, e.entry.published_at, e.entry.description ?? null])).sort(),
    };
  } catch (error) {
    return error as Error;
  }
}

type Verdict = 'declined' | 'agreed' | 'parser-rejects';

/**
 * Whatever the scanner answers for a file the parser accepts is what the parser says. The
 * scanner reads only the lines it needs, so it may summarise a file broken elsewhere (a bad
 * key in a dependency table): that verdict is returned for the caller to check the server's
 * side of the contract (the package is absent, never answered from the summary).
 */
function assertAgree(text: Buffer, where: string): Verdict {
  const scanned = fromScan(text);
  if (scanned === null) return 'declined';
  const parsed = fromParse(text);
  if (parsed instanceof Error) return 'parser-rejects';
  assert.deepEqual(scanned, parsed, where);
  return 'agreed';
}

async function historyBlobs(): Promise<Array<{ where: string; text: Buffer }>> {
  const repo = await cloneFixtureIndex();
  const seen = new Set<string>();
  const specs: Array<{ where: string; oid: string }> = [];
  for (const line of (await git(repo, ['rev-list', '--objects', '--all'])).split('\n')) {
    const [oid, path] = line.split(' ');
    if (oid === undefined || path === undefined || seen.has(oid)) continue;
    seen.add(oid);
    specs.push({ where: `${path} (${oid.slice(0, 8)})`, oid });
  }
  const texts = await readObjects(repo, specs.map((s) => s.oid));
  return specs.flatMap((s, i) => {
    const text = texts[i];
    // package files only: trees, config.toml and scope.toml are not the scanner's
    return text === null || text === undefined || !/^\S+\/[^/]+ \(/.test(`${s.where}`) || s.where.includes('scope.toml') ? [] : [{ where: s.where, text }];
  });
}

describe('package-scan agrees with parseIndexFile', () => {
  it('on every package file in the fixture index history', async () => {
    const blobs = (await historyBlobs()).filter((b) => b.text.includes('published_at'));
    assert.ok(blobs.length > 500, `${blobs.length} files`);
    let answered = 0;
    for (const { where, text } of blobs) if (assertAgree(text, where)) answered++;
    // the scanner pays for itself only if it answers nearly every real file
    assert.ok(answered / blobs.length > 0.95, `the scanner answered ${answered} of ${blobs.length}`);
  });

  it('on fuzzed files: the same facts when the parser accepts; when it rejects, the server answers the package as absent and says so once', async () => {
    const blobs = (await historyBlobs()).filter((b) => b.text.includes('published_at'));
    const random = seededRandom(12);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    const snippets = ['"', "'", '\\', '\n', '[', ']', '.', '=', ' ', '#', 'yanked = true\n', 'description = "x"\n', '"""', 'published_at = 2024-01-01T00:00:00Z\n', '\u00e9', '\t', '[meta]\n', 'deprecated = "old"\n'];
    const rejected: Buffer[] = [];
    let agreed = 0;
    const rounds = 3000;
    for (let i = 0; i < rounds; i++) {
      const { where, text } = pick(blobs);
      const source = text.toString('utf8');
      const at = Math.floor(random() * source.length);
      const cut = random() < 0.5 ? Math.floor(random() * 4) : 0;
      const mutated = Buffer.from(source.slice(0, at) + (random() < 0.7 ? pick(snippets) : '') + source.slice(at + cut), 'utf8');
      const verdict = assertAgree(mutated, `${where} fuzzed at ${at} (round ${i})`);
      if (verdict === 'agreed') agreed++;
      else if (verdict === 'parser-rejects') rejected.push(mutated);
    }
    assert.ok(agreed > rounds / 10, `the scanner answered ${agreed} fuzzed files`);
    // the seed does produce files only the parser sees are broken: the server's side is checked on them
    assert.ok(rejected.length > 0, 'no fuzzed file was accepted by the scanner and rejected by the parser');
    await assertServedAsAbsent(rejected.slice(0, 25));
  });
});

/**
 * An index of these files: each is summarised at load, then answered as absent when first
 * read in full (a 404 for the package), and reported once however often it is asked for.
 */
async function assertServedAsAbsent(files: readonly Buffer[]): Promise<void> {
  const { dir, cleanup } = await tempDir();
  try {
    await runGit(dir, ['init', '--quiet', '--initial-branch=main']);
    await writeFile(path.join(dir, 'config.toml'), renderConfigTemplate({ api: 'http://127.0.0.1:1' }));
    await mkdir(path.join(dir, 'fuzz'));
    const ids = files.map((_, i) => `fuzz/p${i}`);
    await Promise.all(files.map((text, i) => writeFile(path.join(dir, 'fuzz', `p${i}`), text)));
    await runGit(dir, ['add', '-A']);
    await runGit(dir, ['commit', '--quiet', '-m', 'fuzzed']);
    const warnings: string[] = [];
    const state = await IndexState.load(dir, await runGit(dir, ['rev-parse', 'HEAD']), { warn: (m) => warnings.push(m) });
    try {
      for (const id of ids) assert.ok(state.packages.has(id), `${id} was summarised by the scan`);
      // search renders a cold result from the shown version's own sections: when those parse,
      // it lists exactly what the file says of that version (never facts the file does not hold)
      const listed = await state.searchResults(ids);
      listed.forEach((json, i) => {
        if (json === null) return;
        const shown = state.packages.get(ids[i]!)!.shown!;
        const item = JSON.parse(json) as { name: string; version: string; published_at: string };
        assert.deepEqual([item.name, item.version, item.published_at], [ids[i], shown.id.version, shown.publishedAt], json);
      });
      for (const id of ids) {
        assert.equal(await state.record(id), null, id);
        assert.equal(await state.record(id), null, id);
        assert.equal(state.cachedRecord(id), null, id);
        assert.equal(warnings.filter((w) => w.startsWith(`skipping ${id}:`)).length, 1, `${id} is reported once: ${warnings.join('; ')}`);
      }
    } finally {
      state.close();
    }
  } finally {
    await cleanup();
  }
}

describe('timestampSortKey', () => {
  it('read off a canonical form is the parsed key, for every published_at the scan and the parser give, and for any other form', async () => {
    const blobs = (await historyBlobs()).filter((b) => b.text.includes('published_at'));
    const stamps = new Set<string>();
    for (const { text } of blobs) {
      const scanned = scanIndexFile(text);
      for (const entry of scanned?.entries ?? []) stamps.add(entry.publishedAt);
      const parsed = fromParse(text);
      if (!(parsed instanceof Error)) for (const entry of parseIndexFile(text.toString('utf8')).entries) stamps.add(entry.entry.published_at);
    }
    assert.ok(stamps.size > 500, `${stamps.size} timestamps`);
    // the point of the fast path: what the scan and the parser give is read off, never parsed
    for (const stamp of stamps) assert.ok(canonicalSortKey(stamp) !== undefined, `${stamp} is read off without parsing`);
    const random = seededRandom(31);
    for (let i = 0; i < 2000; i++) {
      const digits = Math.floor(random() * 10);
      const fraction = String(Math.floor(random() * 1e9)).padStart(9, '0').slice(0, digits);
      const base = new Date(Math.floor(random() * 4e12)).toISOString().slice(0, 19);
      stamps.add(`${base}${fraction === '' ? '' : `.${fraction}`}Z`);
    }
    // forms only a hand-written file has: left to the parse
    for (const other of ['2024-01-02T03:04:05.120Z', '2024-01-02 03:04:05Z', '2024-01-02T03:04:05+01:00', '2024-01-02T03:04:05z', '2024-1-02T03:04:05Z', 'x', '']) stamps.add(other);
    for (const stamp of stamps) assert.equal(timestampSortKey(stamp), parsedSortKey(stamp), stamp);
  });
});

describe('shownEntry', () => {
  it('picks what sorting in index order and shownIndex pick, for every file of the fixture history and for random entry lists', async () => {
    const lists: Array<ReturnType<typeof scanIndexFile> & object> = [];
    for (const { text } of (await historyBlobs()).filter((b) => b.text.includes('published_at'))) {
      const scanned = scanIndexFile(text);
      if (scanned !== null) lists.push(scanned);
    }
    assert.ok(lists.length > 500, `${lists.length} scanned files`);
    const random = seededRandom(41);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    const versions = ['0.1.0', '0.1.0-rc.1', '0.1.0+build.2', '0.1.0+build.10', '1.0.0', '1.0.0-alpha', '1.0.0-alpha.1', '2.0.0', '10.0.0'];
    const stamps = ['2024-01-01T00:00:00Z', '2024-01-01T00:00:00.5Z', '2024-06-01T12:00:00Z', '2023-01-01T00:00:00Z'];
    for (let round = 0; round < 3000; round++) {
      const seen = new Set<string>();
      const entries = [];
      for (let k = 0; k < 1 + Math.floor(random() * 8); k++) {
        const version = pick(versions);
        const target = pick(TARGET_KINDS);
        // a version and a target make one entry
        if (seen.has(`${version} ${target}`)) continue;
        seen.add(`${version} ${target}`);
        entries.push({ id: { version, target }, semver: parseSemver(version), yanked: random() < 0.3, publishedAt: pick(stamps), description: undefined });
      }
      lists.push({ deprecated: undefined, entries, sections: [] });
    }
    for (const { entries } of lists) assert.equal(shownEntry(entries), sortedAndShown(entries) ?? undefined, JSON.stringify(entries.map((e) => [e.id, e.yanked, e.publishedAt])));
  });
});

/** An index file the registry's way: one entry per id, in the given order, each with its target (and some with more). */
function indexFile(entries: ReadonlyArray<{ id: string; description?: string; more?: boolean }>): Buffer {
  const lines: string[] = [];
  for (const { id, description, more } of entries) {
    lines.push(`["${id}"]`, 'published_at = "2024-01-02T03:04:05.5Z"');
    if (description !== undefined) lines.push(`description = ${JSON.stringify(description)}`);
    lines.push('', `["${id}".target]`, `environment = "${id.split(' ')[1]}"`, 'lib = "init.luau"', '');
    if (more === true) lines.push(`["${id}".engines]`, 'pesde = "^0.7.1"', '');
  }
  return Buffer.from(lines.join('\n'), 'utf8');
}

describe('scanIndexFile state kept from scan to scan', () => {
  it('finds a repeated entry or an orphan sub-table however many ids come between, across its id cache emptying', () => {
    const many = Array.from({ length: 9000 }, (_, i) => ({ id: `${i}.0.0 luau`, more: i % 3 === 0 }));
    const whole = indexFile(many);
    assert.equal(scanIndexFile(whole)?.entries.length, 9000);
    assert.equal(assertAgree(whole, '9000 entries'), 'agreed');
    // the same again: the cache is full of the ids of the last scan, and none of them counts here
    assert.equal(assertAgree(whole, '9000 entries, again'), 'agreed');
    const repeated = indexFile([...many, { id: '5.0.0 luau' }]);
    assert.equal(scanIndexFile(repeated), null);
    assert.ok(fromParse(repeated) instanceof Error);
    // a sub-table of an id whose own table is missing, after thousands of others
    const orphan = Buffer.concat([whole, Buffer.from('\n["9999.0.0 luau".target]\nenvironment = "luau"\n')]);
    assert.equal(scanIndexFile(orphan), null);
    // an id of an earlier file is not one of this file's
    assert.equal(assertAgree(indexFile([{ id: '1.0.0 luau', more: true }]), 'one entry'), 'agreed');
  });

  it('gives each entry its own description when neighbours share or differ from it, escapes and other characters included', () => {
    const file = indexFile([
      { id: '0.1.0 luau', description: 'same' },
      { id: '0.1.0 roblox', description: 'same' },
      { id: '0.2.0 luau', description: 'other' },
      { id: '0.3.0 luau' },
      { id: '0.4.0 luau', description: 'other' },
      { id: '0.5.0 luau', description: 'tab\tand "quote" and \u00e9' },
      { id: '0.6.0 luau', description: 'tab\tand "quote" and \u00e9' },
      { id: '0.7.0 luau', description: '' },
      { id: '0.8.0 luau', description: 'same' },
    ]);
    assert.equal(assertAgree(file, 'descriptions'), 'agreed');
    const scanned = scanIndexFile(file)!;
    assert.deepEqual(
      scanned.entries.map((e) => e.description),
      ['same', 'same', 'other', undefined, 'other', 'tab\tand "quote" and \u00e9', 'tab\tand "quote" and \u00e9', '', 'same'],
    );
    // the same bytes in the next file are decoded from that file
    const next = indexFile([{ id: '0.1.0 luau', description: 'same' }]);
    assert.equal(scanIndexFile(next)!.entries[0]!.description, 'same');
    // a description only the full parse reads, after one the scan read: declined, not reused
    const odd = Buffer.from(`${file.toString('utf8')}\n["0.9.0 luau"]\npublished_at = "2024-01-02T03:04:05Z"\ndescription = "\\U0001F600"\n\n["0.9.0 luau".target]\nenvironment = "luau"\n`);
    assert.equal(scanIndexFile(odd), null);
    assert.equal((fromParse(odd) as Facts).entries.length, 10);
  });

  it('shares one version between the targets of an entry and orders them as the parser does', () => {
    const file = indexFile([{ id: '1.0.0 roblox' }, { id: '1.0.0 luau' }, { id: '1.0.0-rc.1 luau' }, { id: '0.9.0 lune' }]);
    const scanned = scanIndexFile(file)!;
    assert.equal(scanned.entries[0]!.semver, scanned.entries[1]!.semver);
    assert.equal(assertAgree(file, 'targets of one version'), 'agreed');
    assert.equal(shownEntry(scanned.entries), sortedAndShown(scanned.entries) ?? undefined);
  });
});
