/**
 * `GET /v1/search?query=&offset=`: 50 packages a page, each as its newest unyanked version.
 * A state never changes, so a page rendered for it stays right for as long as it is served.
 */
import { CachedBody } from '../cached-body.js';
import type { Handler } from '../context.js';
import { HttpError } from '../http-error.js';
import type { IndexState } from '../index-state.js';
import { sendJson } from '../respond.js';

/** Enough for the pages people actually open; a flood of distinct queries only evicts. */
const MAX_CACHED_PAGES = 512;
const pages = new WeakMap<IndexState, Map<string, CachedBody>>();

export const searchPackages: Handler = async (ctx) => {
  const query = (ctx.query.get('query') ?? '').trim();
  const offset = parseOffset(ctx.query.get('offset'));
  const state = ctx.server.state();
  let cache = pages.get(state);
  if (cache === undefined) {
    cache = new Map();
    pages.set(state, cache);
  }
  const key = `${offset} ${query.toLowerCase()}`;
  let body = cache.get(key);
  if (body === undefined) {
    body = await renderPage(state, query, offset);
    if (cache.size >= MAX_CACHED_PAGES) cache.clear();
    cache.set(key, body);
  }
  sendJson(ctx.req, ctx.res, 200, body);
};

async function renderPage(state: IndexState, query: string, offset: number): Promise<CachedBody> {
  const page = state.search.search(query, offset);
  // a package whose file turns out not to parse is left off the page
  const data = (await state.searchResults(page.ids)).filter((json): json is string => json !== null);
  return new CachedBody(`{"data":[${data.join(',')}],"count":${page.count}}`);
}

function parseOffset(raw: string | null): number {
  if (raw === null) return 0;
  if (!/^\d{1,15}$/.test(raw)) throw new HttpError(400, `offset must be a whole number, not ${JSON.stringify(raw)}`);
  return Number(raw);
}
