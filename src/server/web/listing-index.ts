/**
 * What the package list searches: the API's search (same index, so the same ranking and
 * newest-first order) over the same packages plus deprecated ones, which the API's search
 * leaves out but a person browsing should still find, marked as deprecated. Packages whose
 * every version is yanked stay out, as in the API: nothing to install.
 */
import type { IndexState } from '../index-state.js';
import type { Searchable } from '../search-index.js';

export function listingIndex(state: IndexState): Searchable {
  return state.search.listing;
}
