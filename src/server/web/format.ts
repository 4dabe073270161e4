/** Small display conventions shared by the pages: dates, package links, version links. */
import type { PackageName, TargetKind } from '../../index-repo/types.js';
import { canonicalTimestamp } from '../package-view.js';
import { html, type SafeHtml } from './html.js';

/** `<time>` with the day visible and the exact UTC instant machine-readable and on hover. */
export function publishedDate(publishedAt: string): SafeHtml {
  const iso = canonicalTimestamp(publishedAt);
  const day = /^\d{4}-\d\d-\d\d/.exec(iso)?.[0] ?? iso;
  return html`<time datetime="${iso}" title="${iso}">${day}</time>`;
}

export function packagePath(name: PackageName): string {
  return `/packages/${encodeURIComponent(name.scope)}/${encodeURIComponent(name.name)}`;
}

/** The query that picks a version and target on the package and doc pages. */
export function versionQuery(version: string, target: TargetKind): string {
  return `?version=${encodeURIComponent(version)}&target=${encodeURIComponent(target)}`;
}

export function docPath(name: PackageName, page: string, version: string, target: TargetKind): string {
  const segments = page.split('/').map(encodeURIComponent).join('/');
  return `${packagePath(name)}/docs/${segments}${versionQuery(version, target)}`;
}
