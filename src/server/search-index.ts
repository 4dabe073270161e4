/**
 * Package search over scope, name and description, in memory. The official registry runs
 * tantivy over 1-12 character n-grams with boosts name 3.5, scope 2, description 1; a
 * substring match per query word finds the same packages; scores rank any name match
 * first (exact, then prefix, then anywhere), then scope, then description, then newest.
 */
import { timestampSortKey } from './package-view.js';
import type { PackageRecord } from './package-record.js';

export interface SearchDoc {
  /** `scope/name` */
  id: string;
  scope: string;
  name: string;
  /** lower-cased for matching */
  description: string;
  publishedKey: string;
}

export interface SearchPage {
  ids: string[];
  /** every match, not just this page */
  count: number;
}

export const SEARCH_PAGE_SIZE = 50;

/** The document for a package, or null when search leaves it out (deprecated, all yanked). */
export function searchDocFor(record: PackageRecord): SearchDoc | null {
  if (record.file.deprecated) return null;
  const shown = record.searchable;
  if (shown === null) return null;
  return {
    id: record.name.full,
    scope: record.name.scope,
    name: record.name.name,
    description: (shown.entry.description ?? '').toLowerCase(),
    publishedKey: timestampSortKey(shown.entry.published_at),
  };
}

/** More ranked results than this are shown by sorting every match instead of keeping a top list. */
const MAX_KEPT = 1000;

/**
 * Name, scope and description in one string per document: a query word found in none of
 * them (most documents, for most words) is ruled out with one search instead of three.
 * Documents are shared by the states that follow, so this outlives any one index.
 */
const haystacks = new WeakMap<SearchDoc, string>();

function haystackOf(doc: SearchDoc): string {
  let text = haystacks.get(doc);
  if (text === undefined) {
    // query words never contain whitespace, so none can match across the separators
    text = `${doc.name}\n${doc.scope}\n${doc.description}`;
    haystacks.set(doc, text);
  }
  return text;
}

interface Scored {
  doc: SearchDoc;
  score: number;
}

export class SearchIndex {
  private readonly docs: ReadonlyMap<string, SearchDoc>;
  private newestFirst: SearchDoc[] | undefined;
  private scanList: { docs: SearchDoc[]; haystacks: string[] } | undefined;

  constructor(docs: ReadonlyMap<string, SearchDoc>) {
    this.docs = docs;
  }

  get size(): number {
    return this.docs.size;
  }

  /** A copy with some packages replaced or removed (null), for the next commit's state. */
  with(changes: ReadonlyMap<string, SearchDoc | null>): SearchIndex {
    if (changes.size === 0) return this;
    const docs = new Map(this.docs);
    for (const [id, doc] of changes) {
      if (doc === null) docs.delete(id);
      else docs.set(id, doc);
    }
    return new SearchIndex(docs);
  }

  search(query: string, offset: number, limit = SEARCH_PAGE_SIZE): SearchPage {
    const terms = query.trim().toLowerCase().split(/\s+/).filter((t) => t.length > 0);
    if (terms.length === 0) {
      const ordered = this.byDate();
      return { ids: ordered.slice(offset, offset + limit).map((d) => d.id), count: ordered.length };
    }
    return this.ranked(terms, offset, limit);
  }

  private byDate(): SearchDoc[] {
    this.newestFirst ??= [...this.docs.values()].sort(newestFirst);
    return this.newestFirst;
  }

  /**
   * Every match is counted, but only the first offset + limit in rank order are shown:
   * keeping those in a short sorted list costs far less than sorting tens of thousands of
   * matches (a common word or `pkg` matches most of a large index).
   */
  private ranked(terms: string[], offset: number, limit: number): SearchPage {
    const { docs, haystacks: texts } = this.scanned();
    const wanted = offset + limit;
    const keepAll = wanted <= 0 || wanted > MAX_KEPT;
    const kept: Scored[] = [];
    let count = 0;
    for (let i = 0; i < docs.length; i++) {
      const text = texts[i]!;
      let found = false;
      for (const term of terms) {
        if (text.includes(term)) {
          found = true;
          break;
        }
      }
      if (!found) continue;
      const doc = docs[i]!;
      const score = scoreDoc(doc, terms);
      if (score <= 0) continue;
      count++;
      const item = { doc, score };
      if (keepAll) {
        kept.push(item);
        continue;
      }
      if (kept.length >= wanted && compareRank(item, kept[kept.length - 1]!) >= 0) continue;
      let lo = 0;
      let hi = kept.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (compareRank(item, kept[mid]!) < 0) hi = mid;
        else lo = mid + 1;
      }
      kept.splice(lo, 0, item);
      if (kept.length > wanted) kept.pop();
    }
    if (keepAll) kept.sort(compareRank);
    return { ids: kept.slice(offset, offset + limit).map((s) => s.doc.id), count };
  }

  private scanned(): { docs: SearchDoc[]; haystacks: string[] } {
    if (this.scanList === undefined) {
      const docs = [...this.docs.values()];
      this.scanList = { docs, haystacks: docs.map(haystackOf) };
    }
    return this.scanList;
  }
}

/** Negative when `a` ranks before `b`: higher score, then newest, then id (a total order). */
function compareRank(a: Scored, b: Scored): number {
  return b.score - a.score || newestFirst(a.doc, b.doc);
}

function scoreDoc(doc: SearchDoc, terms: string[]): number {
  let score = 0;
  for (const term of terms) {
    // a name match outweighs any scope and description match together
    if (doc.name === term) score += 100;
    else if (doc.name.startsWith(term)) score += 50;
    else if (doc.name.includes(term)) score += 20;
    if (doc.scope === term) score += 4;
    else if (doc.scope.includes(term)) score += 2;
    if (doc.description.includes(term)) score += 1;
  }
  return score;
}

function newestFirst(a: SearchDoc, b: SearchDoc): number {
  if (a.publishedKey !== b.publishedKey) return a.publishedKey < b.publishedKey ? 1 : -1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
