/**
 * The search index's bounds: queries past the caps are refused, a repeated word ranks as it
 * always did, word order does not matter, and the sliced search the API runs finds exactly
 * what the one-go search does.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SearchIndex, type SearchDoc } from '../../src/server/search-index.js';
import { MAX_QUERY_CHARS, MAX_QUERY_WORDS, queryKey, queryTerms } from '../../src/server/search-query.js';
import { isRegistryError } from '../../src/errors.js';
import { seededRandom } from '../helpers/seeded-random.js';

const random = seededRandom(11);
const WORDS = ['ui', 'net', 'promise', 'signal', 'test', 'a', 'roblox', 'luau', 'state', 'io', 'x'];
const pick = () => WORDS[Math.floor(random() * WORDS.length)]!;

function doc(i: number): SearchDoc {
  const scope = `${pick()}${i % 7}`;
  const name = `${pick()}_${pick()}${i}`;
  return {
    full: `${scope}/${name}`,
    scope,
    name,
    lowerDescription: Array.from({ length: 6 }, pick).join(' '),
    publishedKey: String(1_000_000 + ((i * 7919) % 5000)).padStart(10, '0'),
    deprecated: i % 13 === 0 ? 'old' : undefined,
  };
}

const docs = Array.from({ length: 3000 }, (_, i) => doc(i));
const index = SearchIndex.of(docs);

const refusal = (query: string): string => {
  try {
    index.search(query, 0);
  } catch (error) {
    assert.ok(isRegistryError(error) && error.kind === 'invalid_input', String(error));
    return error.message;
  }
  assert.fail(`${JSON.stringify(query.slice(0, 40))} was not refused`);
};

describe('search query caps', () => {
  it('refuses a query longer than MAX_QUERY_CHARS, or with more than MAX_QUERY_WORDS different words', () => {
    assert.match(refusal('a'.repeat(MAX_QUERY_CHARS + 1)), /^search query is 257 characters, more than the limit of 256/);
    const words = Array.from({ length: MAX_QUERY_WORDS + 1 }, (_, i) => String.fromCharCode(97 + i)).join(' ');
    assert.match(refusal(words), /^search query has 17 different words, more than the limit of 16/);
    // at the caps, and with white space around, it is a search like any other
    assert.ok(index.search(` ${'a'.repeat(MAX_QUERY_CHARS)} `, 0).count >= 0);
    assert.ok(index.search(words.slice(0, -2), 0).count > 0);
  });

  it('counts a repeated word as often as it is given, whatever the order', () => {
    assert.deepEqual([...queryTerms('UI net ui  UI')], [['ui', 3], ['net', 1]]);
    assert.equal(queryKey(queryTerms('net ui ui')), queryKey(queryTerms('ui NET ui')));
    assert.notEqual(queryKey(queryTerms('net ui')), queryKey(queryTerms('net ui ui')));
    assert.deepEqual(index.search('net ui ui', 0), index.search('ui net ui', 0));
  });
});

describe('sliced search', () => {
  const queries = ['', 'ui', 'a x', 'promise signal', 'net net ui', 'luau_state', 'roblox1', 'zzz', 'a i o u e t s n r x y'];
  for (const query of queries) {
    it(`finds what the one-go search finds for ${JSON.stringify(query)}, deep pages too`, async () => {
      for (const offset of [0, 50, 1200]) {
        assert.deepEqual(await index.searchSliced(query, offset), index.search(query, offset));
        assert.deepEqual(await index.listing.searchSliced(query, offset), index.listing.search(query, offset));
      }
    });
  }

  it('ranks an overlay of changed packages among the base as a fresh index does, deep pages too', async () => {
    const changes = new Map(Array.from({ length: 40 }, (_, i): [string, SearchDoc] => [docs[i * 50]!.full, { ...docs[i * 50]!, name: `ui_${docs[i * 50]!.name}`, publishedKey: String(1_000_000 + i * 97).padStart(10, '0') }]));
    const overlaid = index.with(changes);
    const fresh = SearchIndex.of(docs.map((d) => changes.get(d.full) ?? d));
    for (const query of ['ui', 'a ui', 'net x', '']) {
      for (const offset of [0, 30, 1100, 2900]) {
        assert.deepEqual(await overlaid.searchSliced(query, offset), fresh.search(query, offset), `${query} at ${offset}`);
      }
    }
  });

  it('finds the same after the overlay has been folded into a new base, built in steps while other work runs', async () => {
    const changes = new Map(Array.from({ length: 400 }, (_, i): [string, SearchDoc] => [docs[i]!.full, { ...docs[i]!, lowerDescription: `refolded ${docs[i]!.lowerDescription}` }]));
    const folded = index.with(changes);
    const expected = SearchIndex.of([...docs.slice(400), ...changes.values()]).search('refolded', 0);
    let turns = 0;
    const ticker = setInterval(() => turns++, 0);
    const found = await folded.searchSliced('refolded', 0);
    clearInterval(ticker);
    assert.deepEqual(found, expected);
    assert.equal(found.count, [...changes.values()].filter((d) => !d.deprecated).length);
    assert.ok(turns > 0, 'the event loop never ran while the new base was built');
  });

  it('lets other work run while a costly query is under way, and two at once do not mix', async () => {
    const big = SearchIndex.of(Array.from({ length: 60_000 }, (_, i) => doc(i)));
    const query = 'a e i o u t s n r x y l';
    const expected = big.search(query, 0);
    let turns = 0;
    const ticker = setInterval(() => turns++, 0);
    const [one, two] = await Promise.all([big.searchSliced(query, 0), big.searchSliced('ui net', 0)]);
    clearInterval(ticker);
    assert.deepEqual(one, expected);
    assert.deepEqual(two, big.search('ui net', 0));
    assert.ok(turns > 0, 'the event loop never ran during the search');
  });
});

/**
 * The ranking spelled out one document at a time, as the index ranked before it kept each
 * word's points: name exact 100, prefix 50, anywhere 20; scope exact 4, anywhere 2;
 * description 1; times the word's count; then newest, then id. Every shortcut of the index
 * (trigram candidates, kept words, top lists, the overlay) must give exactly this page.
 */
function reference(all: readonly SearchDoc[], query: string, offset: number, withDeprecated: boolean): { ids: string[]; count: number } {
  const terms = queryTerms(query);
  const shown = all.filter((d) => withDeprecated || !d.deprecated);
  const newest = (a: SearchDoc, b: SearchDoc) => (a.publishedKey !== b.publishedKey ? (a.publishedKey < b.publishedKey ? 1 : -1) : a.full < b.full ? -1 : a.full > b.full ? 1 : 0);
  if (terms.size === 0) {
    const sorted = [...shown].sort(newest);
    return { ids: sorted.slice(offset, offset + 50).map((d) => d.full), count: sorted.length };
  }
  const scored = shown
    .map((d) => {
      let score = 0;
      for (const [term, weight] of terms) {
        score += weight * (d.name === term ? 100 : d.name.startsWith(term) ? 50 : d.name.includes(term) ? 20 : 0);
        score += weight * (d.scope === term ? 4 : d.scope.includes(term) ? 2 : 0);
        score += weight * (d.lowerDescription.includes(term) ? 1 : 0);
      }
      return { d, score };
    })
    .filter((s) => s.score > 0)
    .sort((a, b) => b.score - a.score || newest(a.d, b.d));
  return { ids: scored.slice(offset, offset + 50).map((s) => s.d.full), count: scored.length };
}

describe('ranking', () => {
  const queryRandom = seededRandom(23);
  const word = () => {
    const w = WORDS[Math.floor(queryRandom() * WORDS.length)]!;
    // whole words, their prefixes and pieces, names' parts and scopes
    const roll = queryRandom();
    return roll < 0.5 ? w : roll < 0.7 ? w.slice(0, 1 + Math.floor(queryRandom() * w.length)) : roll < 0.85 ? `${w}_${WORDS[Math.floor(queryRandom() * WORDS.length)]!}` : `${w}${Math.floor(queryRandom() * 7)}`;
  };
  const queries = Array.from({ length: 120 }, () => Array.from({ length: 1 + Math.floor(queryRandom() * 3) }, word).join(' '));

  it('gives the one-document-at-a-time ranking for varied queries, asked twice (kept words), sliced or not, deep pages too', async () => {
    const fresh = SearchIndex.of(docs);
    for (const round of [1, 2]) {
      for (const query of queries) {
        for (const offset of [0, 50, 700]) {
          const where = `${JSON.stringify(query)} at ${offset}, round ${round}`;
          assert.deepEqual(await fresh.searchSliced(query, offset), reference(docs, query, offset, false), where);
          assert.deepEqual(fresh.listing.search(query, offset), reference(docs, query, offset, true), where);
        }
      }
    }
  });

  it('gives it with an overlay of changed and removed packages', async () => {
    const changed = new Map<string, SearchDoc | null>();
    for (let i = 0; i < 60; i++) changed.set(docs[i * 40]!.full, i % 3 === 0 ? null : { ...docs[i * 40]!, name: `${word()}_${i}`, lowerDescription: `${word()} ${word()}`, publishedKey: String(1_000_000 + i * 131).padStart(10, '0') });
    const overlaid = SearchIndex.of(docs).with(changed);
    const now = [...docs.filter((d) => !changed.has(d.full)), ...[...changed.values()].filter((d): d is SearchDoc => d !== null)];
    for (const query of queries.slice(0, 60)) {
      for (const offset of [0, 50]) assert.deepEqual(await overlaid.searchSliced(query, offset), reference(now, query, offset, false), `${JSON.stringify(query)} at ${offset}`);
    }
  });
});
