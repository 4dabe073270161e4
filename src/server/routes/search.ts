/**
 * `GET /v1/search?query=&offset=`: 50 packages a page, each as its newest unyanked version.
 * A state never changes, so a page rendered for it stays right for as long as it is served.
 * Pages are cached by what the query means (its distinct words and their counts, in any
 * order, see search-query.ts), within a byte budget: a flood of distinct queries only
 * evicts, and a query repeated with its words shuffled costs no search.
 */
import { ByteLru } from '../byte-lru.js';
import { CachedBody } from '../cached-body.js';
import type { Handler } from '../context.js';
import { HttpError } from '../http-error.js';
import type { IndexState } from '../index-state.js';
import { sendJson } from '../respond.js';
import { queryKey, queryTerms } from '../search-query.js';

/** Memory for rendered pages (a page of 50 results is some tens of KB, twice with its gzip form). */
export const SEARCH_CACHE_BYTES = 16 * 1024 * 1024;
const pages = new WeakMap<IndexState, ByteLru<CachedBody>>();

export const searchPackages: Handler = async (ctx) => {
  const query = ctx.query.get('query') ?? '';
  const offset = parseOffset(ctx.query.get('offset'));
  const key = `${offset} ${queryKey(queryTerms(query))}`;
  const state = ctx.server.state();
  let cache = pages.get(state);
  if (cache === undefined) {
    cache = new ByteLru(SEARCH_CACHE_BYTES);
    pages.set(state, cache);
  }
  let body = cache.get(key);
  if (body === undefined) {
    const slot = cache;
    body = await renderPage(state, query, offset, (bytes) => slot.grow(key, body!, bytes));
    cache.set(key, body, key.length * 2 + body.text.length + body.bytes.length);
  }
  sendJson(ctx.req, ctx.res, 200, body);
};

async function renderPage(state: IndexState, query: string, offset: number, grew: (bytes: number) => void): Promise<CachedBody> {
  const page = await state.search.searchSliced(query, offset);
  // a package whose file turns out not to parse is left off the page
  const data = (await state.searchResults(page.ids)).filter((json): json is string => json !== null);
  // the gzip form, made on the first request that takes it, is counted when it is made
  return CachedBody.fresh(`{"data":[${data.join(',')}],"count":${page.count}}`, grew);
}

function parseOffset(raw: string | null): number {
  if (raw === null) return 0;
  if (!/^\d{1,15}$/.test(raw)) throw new HttpError(400, `offset must be a whole number, not ${JSON.stringify(raw)}`);
  return Number(raw);
}
