/**
 * One doc page of a version (`/packages/<scope>/<name>/docs/<page>?version=&target=`):
 * the package heading and section links, the version and target pickers, the doc tree on
 * one side, the page (rendered without its front matter) and its "on this page" headings.
 */
import { errorMessage } from '../../errors.js';
import type { PackageName, TargetKind } from '../../index-repo/types.js';
import { docKey } from '../../storage/keys.js';
import { findDocPage, renderDocTree } from './doc-tree.js';
import { docPath } from './format.js';
import { html, type SafeHtml } from './html.js';
import { HttpError } from '../http-error.js';
import { renderMarkdown, type Heading } from './markdown.js';
import { renderPackageHeader, renderPickers } from './package-frame.js';
import { findShownVersion } from './package-lookup.js';
import type { PageContent, PageRequest } from './page-request.js';
import { readStoredText } from './stored-text.js';

export async function docPage(page: PageRequest): Promise<PageContent> {
  const shown = await findShownVersion(page);
  const { name, item } = shown;
  const pageName = page.params.page ?? '';
  const docs = item.entry.docs ?? [];
  const doc = findDocPage(docs, pageName);
  if (doc === null) throw new HttpError(404, `${name.full}@${item.id.version} has no doc page ${JSON.stringify(pageName)}`);

  let content: SafeHtml;
  let headings: Heading[] = [];
  let contentKey = '';
  try {
    const stored = await readStoredText(page.server.storage, docKey(doc.hash));
    if (stored.kind === 'text') {
      const rendered = await renderMarkdown(stored.text, { stripFrontMatter: true });
      content = rendered.html;
      headings = rendered.headings;
      contentKey = rendered.fallback === 'busy' ? '' : rendered.key;
    } else {
      content = html`<p class="muted">${stored.kind === 'missing' ? 'This page is not in storage.' : 'This page is too large to show here.'}</p>`;
    }
  } catch (error) {
    page.server.logger.error(`cannot show doc page ${pageName} of ${name.full}@${item.id.version}: ${errorMessage(error)}`);
    content = html`<p class="muted">This page could not be loaded; try again later.</p>`;
  }

  const action = docPath(name, doc.name, item.id.version, item.id.target).replace(/\?.*$/, '');
  const body = html`${renderPackageHeader(shown, 'docs')}
${renderPickers(shown, action)}
<div class="docs-layout">
<nav class="doc-nav" aria-label="Documentation pages">
<h2>Documentation</h2>
${renderDocTree(docs, (other) => docPath(name, other, item.id.version, item.id.target), doc.name)}
</nav>
<article class="readme" id="doc">${content}</article>
${renderToc(headings)}
</div>`;
  const oid = page.server.state().packages.get(name.full)?.oid ?? '';
  return {
    title: `${doc.label} · ${name.full}`,
    body,
    cacheKey: oid === '' || contentKey === '' ? undefined : docCacheKey(name, oid, item.id.version, item.id.target, doc.name, contentKey),
  };
}

function docCacheKey(name: PackageName, oid: string, version: string, target: TargetKind, doc: string, content: string): string {
  return `doc\0${name.full}\0${oid}\0${version}\0${target}\0${doc}\0${content}`;
}

/** "On this page": the page's headings below its title, two levels deep. */
function renderToc(headings: readonly Heading[]): SafeHtml {
  const shown = headings.filter((h) => h.depth >= 2 && h.depth <= 3);
  if (shown.length === 0) return html``;
  return html`<nav class="toc" aria-label="On this page">
<h2>On this page</h2>
<ul>${shown.map((h) => html`<li class="toc-${h.depth}"><a href="#${encodeURIComponent(h.id)}">${h.text}</a></li>`)}</ul>
</nav>`;
}
