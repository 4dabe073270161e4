/**
 * The front page: every package newest first, or the matches for `?q=` in the API search's
 * order, a page of SEARCH_PAGE_SIZE at a time (`?page=`, from 1), so page n shows what
 * `/v1/search` shows at offset (n-1) × SEARCH_PAGE_SIZE, deprecated packages aside.
 */
import { HttpError } from '../http-error.js';
import { SEARCH_PAGE_SIZE } from '../search-index.js';
import { TARGET_NAMES, packagePath, publishedDate } from './format.js';
import { html, type SafeHtml } from './html.js';
import { listingIndex } from './listing-index.js';
import type { PageContent, PageRequest } from './page-request.js';

/** Longer queries match nothing anyway; the cap keeps the work per request small. */
const MAX_QUERY_CHARS = 200;
/** beyond any index's size; keeps the offset a safe integer */
const MAX_PAGE = 1_000_000;

export async function listPage(page: PageRequest): Promise<PageContent> {
  const query = (page.query.get('q') ?? '').trim().slice(0, MAX_QUERY_CHARS);
  const pageNumber = parsePage(page.query.get('page'));
  const state = page.server.state();
  // a query of many short words costs tens of ms: in steps, like the API's search
  const found = await listingIndex(state).searchSliced(query, (pageNumber - 1) * SEARCH_PAGE_SIZE, SEARCH_PAGE_SIZE);
  const pages = Math.max(1, Math.ceil(found.count / SEARCH_PAGE_SIZE));

  const rows: SafeHtml[] = [];
  for (const id of found.ids) {
    // the summary holds all a row shows: no package file is read for the list
    const summary = state.packages.get(id);
    const shown = summary?.shown;
    if (summary === undefined || shown === null || shown === undefined) continue;
    rows.push(html`<li>
<a class="name" href="${packagePath(summary)}">${summary.full}</a>
<span class="badge">${shown.id.version}</span>
${summary.deprecated && html`<span class="badge warn" title="${summary.deprecated}">deprecated</span>`}
${shown.description ? html`<p>${shown.description}</p>` : html`<p class="muted">No description.</p>`}
<p class="muted small">${TARGET_NAMES[shown.id.target]} · published ${publishedDate(shown.publishedAt)}</p>
</li>`);
  }

  const heading = query === ''
    ? html`<h1>Packages</h1><p class="muted">${found.count} ${found.count === 1 ? 'package' : 'packages'}, newest first.</p>`
    : html`<h1>Search</h1><p class="muted">${found.count} ${found.count === 1 ? 'package matches' : 'packages match'} “${query}”.</p>`;
  const body = html`${heading}
${rows.length > 0 ? html`<ul class="packages">${rows}</ul>` : html`<p>${query === '' ? 'No packages have been published yet.' : 'Nothing matches. Try fewer or shorter words.'}</p>`}
${pages > 1 && renderPager(query, pageNumber, pages)}`;
  return { title: query === '' ? 'Packages' : `Search: ${query}`, body, query };
}

function renderPager(query: string, current: number, pages: number): SafeHtml {
  const link = (n: number) => {
    const params = new URLSearchParams();
    if (query !== '') params.set('q', query);
    if (n > 1) params.set('page', String(n));
    const text = params.toString();
    return text === '' ? '/' : `/?${text}`;
  };
  return html`<nav class="pager" aria-label="Pages">
<span>${current > 1 ? html`<a rel="prev" href="${link(current - 1)}">← Previous</a>` : ''}</span>
<span class="muted small">Page ${current} of ${pages}</span>
<span>${current < pages ? html`<a rel="next" href="${link(current + 1)}">Next →</a>` : ''}</span>
</nav>`;
}

function parsePage(raw: string | null): number {
  if (raw === null || raw === '') return 1;
  const n = /^\d{1,7}$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > MAX_PAGE) throw new HttpError(400, `page must be a whole number from 1, not ${JSON.stringify(raw.slice(0, 20))}`);
  return n;
}
