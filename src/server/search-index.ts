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

export class SearchIndex {
  private readonly docs: ReadonlyMap<string, SearchDoc>;
  private newestFirst: SearchDoc[] | undefined;

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
    const ordered = terms.length === 0 ? this.byDate() : this.ranked(terms);
    return { ids: ordered.slice(offset, offset + limit).map((d) => d.id), count: ordered.length };
  }

  private byDate(): SearchDoc[] {
    this.newestFirst ??= [...this.docs.values()].sort(newestFirst);
    return this.newestFirst;
  }

  private ranked(terms: string[]): SearchDoc[] {
    const scored: Array<{ doc: SearchDoc; score: number }> = [];
    for (const doc of this.docs.values()) {
      const score = scoreDoc(doc, terms);
      if (score > 0) scored.push({ doc, score });
    }
    scored.sort((a, b) => b.score - a.score || newestFirst(a.doc, b.doc));
    return scored.map((s) => s.doc);
  }
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
