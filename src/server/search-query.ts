/**
 * A search query as the index reads it: its distinct words, lower-cased, each with how many
 * times it was given. Scores add up per word, so a repeated word weighs its count: counting
 * it once and multiplying ranks exactly as scoring it again would, at the cost of one word.
 *
 * A query is refused (400) past a length and a number of distinct words that no person
 * types: every word costs a pass over the documents that may hold it (for a word of one or
 * two characters, over every document), so without these caps one request could hold the
 * server for seconds.
 */
import { invalidInput } from '../errors.js';

/** characters of a query, after trimming */
export const MAX_QUERY_CHARS = 256;
/** distinct words of a query */
export const MAX_QUERY_WORDS = 16;

export type QueryTerms = ReadonlyMap<string, number>;

/** Throws `invalid_input` (400) for a query past the caps. */
export function queryTerms(query: string): QueryTerms {
  const trimmed = query.trim();
  if (trimmed.length > MAX_QUERY_CHARS) {
    throw invalidInput(`search query is ${trimmed.length} characters, more than the limit of ${MAX_QUERY_CHARS}: shorten it`);
  }
  const terms = new Map<string, number>();
  for (const word of trimmed.toLowerCase().split(/\s+/)) {
    if (word !== '') terms.set(word, (terms.get(word) ?? 0) + 1);
  }
  if (terms.size > MAX_QUERY_WORDS) {
    throw invalidInput(`search query has ${terms.size} different words, more than the limit of ${MAX_QUERY_WORDS}: use fewer`);
  }
  return terms;
}

/** The same words in one canonical order: two queries with the same key find the same page. */
export function queryKey(terms: QueryTerms): string {
  return [...terms].map(([word, count]) => (count === 1 ? word : `${word}*${count}`)).sort().join(' ');
}
