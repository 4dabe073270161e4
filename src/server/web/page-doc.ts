/**
 * One doc page of a version (`/packages/<scope>/<name>/docs/<page>?version=&target=`):
 * the stored page rendered without its front matter, beside the version's doc tree.
 */
import { errorMessage } from '../../errors.js';
import { docKey } from '../../storage/keys.js';
import { findDocPage, renderDocTree } from './doc-tree.js';
import { docPath, packagePath, versionQuery } from './format.js';
import { html, type SafeHtml } from './html.js';
import { HttpError } from '../http-error.js';
import { renderMarkdown } from './markdown.js';
import { findShownVersion } from './package-lookup.js';
import type { PageContent, PageRequest } from './page-request.js';
import { readStoredText } from './stored-text.js';

export async function docPage(page: PageRequest): Promise<PageContent> {
  const { name, item } = await findShownVersion(page);
  const pageName = page.params.page ?? '';
  const docs = item.entry.docs ?? [];
  const doc = findDocPage(docs, pageName);
  if (doc === null) throw new HttpError(404, `${name.full}@${item.id.version} has no doc page ${JSON.stringify(pageName)}`);

  let content: SafeHtml;
  try {
    const stored = await readStoredText(page.server.storage, docKey(doc.hash));
    content =
      stored.kind === 'text'
        ? (await renderMarkdown(stored.text, { stripFrontMatter: true })).html
        : html`<p class="muted">${stored.kind === 'missing' ? 'This page is not in storage.' : 'This page is too large to show here.'}</p>`;
  } catch (error) {
    page.server.logger.error(`cannot show doc page ${pageName} of ${name.full}@${item.id.version}: ${errorMessage(error)}`);
    content = html`<p class="muted">This page could not be loaded; try again later.</p>`;
  }

  const home = `${packagePath(name)}${versionQuery(item.id.version, item.id.target)}`;
  const body = html`<p class="crumbs"><a href="${home}">${name.full} <span class="muted">${item.id.version}</span></a> / docs</p>
<div class="layout">
<article class="readme">${content}</article>
<aside><section>
<h2>Documentation</h2>
${renderDocTree(docs, (other) => docPath(name, other, item.id.version, item.id.target), doc.name)}
</section></aside>
</div>`;
  return { title: `${doc.label} · ${name.full}`, body };
}
