/**
 * The doc pages of a version as a nested list of links, in the order the index keeps them
 * (the official sidebar order); categories are headings of their pages.
 */
import type { DocEntry, DocPage } from '../../index-repo/types.js';
import { html, type SafeHtml } from './html.js';

function isPage(entry: DocEntry): entry is DocPage {
  return 'hash' in entry && 'name' in entry;
}

export function renderDocTree(docs: readonly DocEntry[], linkFor: (page: string) => string, current?: string): SafeHtml {
  if (docs.length === 0) return html``;
  return html`<ul class="tree">${docs.map((entry) => {
    if (isPage(entry)) {
      return entry.name === current
        ? html`<li><a class="here" aria-current="page" href="${linkFor(entry.name)}">${entry.label}</a></li>`
        : html`<li><a href="${linkFor(entry.name)}">${entry.label}</a></li>`;
    }
    return html`<li><span class="muted">${entry.label}</span>${renderDocTree(entry.items ?? [], linkFor, current)}</li>`;
  })}</ul>`;
}

/** The page of that name at any depth (names of nested pages carry their folders: `guide/intro`). */
export function findDocPage(docs: readonly DocEntry[], name: string): DocPage | null {
  for (const entry of docs) {
    if (isPage(entry)) {
      if (entry.name === name) return entry;
    } else {
      const found = findDocPage(entry.items ?? [], name);
      if (found !== null) return found;
    }
  }
  return null;
}

export function countDocPages(docs: readonly DocEntry[]): number {
  return docs.reduce((n, entry) => n + (isPage(entry) ? 1 : countDocPages(entry.items ?? [])), 0);
}
