/**
 * What a browser sees when a page cannot be shown: the status in words and the reason, and
 * for a package that is not here, packages with a similar name.
 */
import { STATUS_CODES } from 'node:http';
import type { PackageName } from '../../index-repo/types.js';
import { packagePath } from './format.js';
import { html } from './html.js';
import type { PageContent } from './page-request.js';

export function errorPage(status: number, message: string, suggestions: readonly PackageName[] = []): PageContent {
  const title = status === 404 ? 'Not found' : (STATUS_CODES[status] ?? 'Error');
  return {
    status,
    title,
    body: html`<h1>${title}</h1>
<p>${message}</p>
${suggestions.length > 0 && html`<h2>Did you mean</h2>
<ul class="deps">${suggestions.map((s) => html`<li><a href="${packagePath(s)}">${s.full}</a></li>`)}</ul>`}
<p><a href="/">Browse all packages</a></p>`,
  };
}
