/** What a browser sees when a page cannot be shown: the status in words and the reason. */
import { STATUS_CODES } from 'node:http';
import { html } from './html.js';
import type { PageContent } from './page-request.js';

export function errorPage(status: number, message: string): PageContent {
  const title = status === 404 ? 'Not found' : (STATUS_CODES[status] ?? 'Error');
  return {
    status,
    title,
    body: html`<h1>${title}</h1>
<p>${message}</p>
<p><a href="/">Browse all packages</a></p>`,
  };
}
