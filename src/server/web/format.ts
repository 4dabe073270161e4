/** Small display conventions shared by the pages: dates, package links, version links. */
import type { PackageName, TargetKind } from '../../index-repo/types.js';
import { canonicalTimestamp } from '../package-view.js';
import { html, type SafeHtml } from './html.js';

/**
 * `<time>` with the day visible and the exact UTC instant machine-readable and on hover;
 * the page script turns the text into "3 days ago" (the page may be cached for long, so
 * the server does not write a relative time that would go stale).
 */
export function publishedDate(publishedAt: string): SafeHtml {
  const iso = canonicalTimestamp(publishedAt);
  const day = /^\d{4}-\d\d-\d\d/.exec(iso)?.[0] ?? iso;
  return html`<time datetime="${iso}" title="${iso.replace('T', ' ').replace('Z', ' UTC')}" data-relative>${day}</time>`;
}

/** The official site's names for target kinds. */
export const TARGET_NAMES: Record<TargetKind, string> = { roblox: 'Roblox', roblox_server: 'Roblox (server)', lune: 'Lune', luau: 'Luau' };

export interface Author {
  name: string;
  email?: string;
  url?: string;
}

/** `Name <mail> (url)`, the Cargo-style author string pesde manifests use; each part optional. */
export function parseAuthor(text: string): Author {
  const name = /^(.*?)\s*(?:<|\(|$)/.exec(text)?.[1]?.trim() ?? text;
  const email = /<([^<>\s]+@[^<>\s]+)>/.exec(text)?.[1];
  const url = /\((https?:\/\/[^()\s]+)\)/.exec(text)?.[1];
  return { name: name === '' ? text : name, ...(email === undefined ? {} : { email }), ...(url === undefined ? {} : { url }) };
}

export function packagePath(name: PackageName): string {
  return `/packages/${encodeURIComponent(name.scope)}/${encodeURIComponent(name.name)}`;
}

/** The query that picks a version and target on the package and doc pages. */
export function versionQuery(version: string, target: TargetKind): string {
  return `?version=${encodeURIComponent(version)}&target=${encodeURIComponent(target)}`;
}

/** The package's section (`''` the README, `dependencies`, `versions`) at a version and target. */
export function sectionPath(name: PackageName, section: '' | 'dependencies' | 'versions', version: string, target: TargetKind): string {
  return `${packagePath(name)}${section === '' ? '' : `/${section}`}${versionQuery(version, target)}`;
}

export function docPath(name: PackageName, page: string, version: string, target: TargetKind): string {
  const segments = page.split('/').map(encodeURIComponent).join('/');
  return `${packagePath(name)}/docs/${segments}${versionQuery(version, target)}`;
}
