/**
 * What the package list searches: the API's search (same SearchIndex, so the same ranking
 * and newest-first order) over the same packages plus deprecated ones, which the API's
 * search leaves out but a person browsing should still find, marked as deprecated.
 * Packages whose every version is yanked stay out, as in the API: nothing to install.
 */
import type { IndexState } from '../index-state.js';
import { timestampSortKey } from '../package-view.js';
import type { PackageRecord } from '../package-record.js';
import { SearchIndex, searchDocFor, type SearchDoc } from '../search-index.js';

const listings = new WeakMap<IndexState, SearchIndex>();

export function listingIndex(state: IndexState): SearchIndex {
  let listing = listings.get(state);
  if (listing === undefined) {
    const docs = new Map<string, SearchDoc>();
    for (const [id, record] of state.packages) {
      const doc = searchDocFor(record) ?? deprecatedDoc(record);
      if (doc !== null) docs.set(id, doc);
    }
    listing = new SearchIndex(docs);
    listings.set(state, listing);
  }
  return listing;
}

/** searchDocFor's document for a package it leaves out only for being deprecated. */
function deprecatedDoc(record: PackageRecord): SearchDoc | null {
  const shown = record.searchable;
  if (!record.file.deprecated || shown === null) return null;
  return {
    id: record.name.full,
    scope: record.name.scope,
    name: record.name.name,
    description: (shown.entry.description ?? '').toLowerCase(),
    publishedKey: timestampSortKey(shown.entry.published_at),
  };
}
