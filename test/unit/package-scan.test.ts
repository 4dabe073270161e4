/**
 * The byte scanner (`package-scan.ts`, what start-up reads 50,000 files with) against the
 * full parser (`parseIndexFile`): on every version of every package file in the real fixture
 * index's history, and on files fuzzed from them, whatever the scanner answers (it may
 * decline with null) is what the parser says.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseIndexFile } from '../../src/index-repo/package-file.js';
import { formatVersionId } from '../../src/index-repo/version.js';
import { scanIndexFile } from '../../src/server/package-scan.js';
import { cloneFixtureIndex, git, readObjects } from '../helpers/fixture-index.js';
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

/**
 * Asserts agreement; returns whether the scanner answered at all. With `strict` false, a file
 * the parser rejects is not held against an answer of the scanner (see the todo below).
 */
function assertAgree(text: Buffer, where: string, strict = true): boolean {
  const scanned = fromScan(text);
  if (scanned === null) return false;
  const parsed = fromParse(text);
  if (parsed instanceof Error && !strict) return false;
  assert.ok(!(parsed instanceof Error), `${where}: the scanner accepted a file the parser rejects (${parsed instanceof Error ? parsed.message : ''})`);
  assert.deepEqual(scanned, parsed, where);
  return true;
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

  const fuzz = (strict: boolean) => async () => {
    const blobs = (await historyBlobs()).filter((b) => b.text.includes('published_at'));
    const random = seededRandom(12);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    const snippets = ['"', "'", '\\', '\n', '[', ']', '.', '=', ' ', '#', 'yanked = true\n', 'description = "x"\n', '"""', 'published_at = 2024-01-01T00:00:00Z\n', '\u00e9', '\t', '[meta]\n', 'deprecated = "old"\n'];
    let answered = 0;
    const rounds = 3000;
    for (let i = 0; i < rounds; i++) {
      const { where, text } = pick(blobs);
      const source = text.toString('utf8');
      const at = Math.floor(random() * source.length);
      const cut = random() < 0.5 ? Math.floor(random() * 4) : 0;
      const mutated = Buffer.from(source.slice(0, at) + (random() < 0.7 ? pick(snippets) : '') + source.slice(at + cut), 'utf8');
      if (assertAgree(mutated, `${where} fuzzed at ${at} (round ${i})`, strict)) answered++;
    }
    assert.ok(answered > rounds / 10, `the scanner answered ${answered} fuzzed files`);
  };

  it('on fuzzed files the parser accepts: the same facts', fuzz(false));
  // Known gap: the scanner reads only the lines it needs, so a file broken elsewhere (a bad
  // key in a dependency table) is summarised at start-up and only fails when first parsed.
  it('on fuzzed files the parser rejects: the scanner declines too', { todo: 'the scanner does not validate lines it skips' }, fuzz(true));
});
