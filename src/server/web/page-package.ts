/**
 * A package at one version, in sections as the official site has them: the README
 * (`/packages/<scope>/<name>`), its dependencies (`/dependencies`) and every version with
 * its targets (`/versions`); `?version=&target=` pick the version, so every URL is a
 * permalink. Each finished page is cached by what it is made of: the package file's blob,
 * the version and target, and the README's content hash.
 */
import { publishersOf } from '../../audit/publishers.js';
import { parsePackageName } from '../../index-repo/names.js';
import type { DependencyEntry, IndexEntry, PackageName, TargetKind } from '../../index-repo/types.js';
import { errorMessage } from '../../errors.js';
import { readmeKey } from '../../storage/keys.js';
import type { ServerContext } from '../context.js';
import { TARGET_NAMES, packagePath, publishedDate, sectionPath, versionQuery } from './format.js';
import { html, httpUrl, type SafeHtml } from './html.js';
import { isOwnIndex } from './index-url.js';
import { renderMarkdown } from './markdown.js';
import { isPrerelease, renderPackageHeader, renderPickers, renderSidebar, type PackageSection } from './package-frame.js';
import { findShownVersion, versionsNewestFirst, type ShownVersion } from './package-lookup.js';
import type { PageContent, PageRequest } from './page-request.js';
import { readStoredText } from './stored-text.js';

export async function packagePage(page: PageRequest): Promise<PageContent> {
  const shown = await findShownVersion(page);
  const [readme, publishers] = await Promise.all([renderReadme(page.server, shown), publishersFor(page.server, shown)]);
  return framed(page, shown, publishers, '', html`<article class="readme" id="readme">${readme.html}</article>`, readme.key);
}

export async function dependenciesPage(page: PageRequest): Promise<PageContent> {
  const shown = await findShownVersion(page);
  return framed(page, shown, await publishersFor(page.server, shown), 'dependencies', renderDependencies(page.server, shown.item.entry, shown.item.id.target));
}

export async function versionsPage(page: PageRequest): Promise<PageContent> {
  const shown = await findShownVersion(page);
  const publishers = await publishersFor(page.server, shown);
  return framed(page, shown, publishers, 'versions', renderVersions(shown, publishers));
}

/**
 * Who published each version, from the audit trail of the served commit. The page cache is
 * keyed by the package file's blob, which every publish changes, so a cached page never
 * misses a publisher; history that cannot be read shows no publisher rather than no page.
 */
async function publishersFor(server: ServerContext, { name }: ShownVersion): Promise<Publishers> {
  try {
    return await publishersOf(server.write.index.dir, server.state().commit, name.full);
  } catch {
    return new Map();
  }
}

/** `<version> <target>` -> who published it */
type Publishers = ReadonlyMap<string, string>;

function framed(page: PageRequest, shown: ShownVersion, publishers: Publishers, section: Exclude<PackageSection, 'docs'>, content: SafeHtml, contentKey = ''): PageContent {
  const { name, item } = shown;
  const { version, target } = item.id;
  const oid = page.server.state().packages.get(name.full)?.oid ?? '';
  const body = html`${renderPackageHeader(shown, section)}
<div class="layout">
<div class="main-col">
${renderPickers(shown, sectionPath(name, section, version, target).replace(/\?.*$/, ''))}
${content}
</div>
${renderSidebar(page.server, shown, publishers)}
</div>`;
  const what = section === '' ? '' : ` · ${section}`;
  return {
    title: `${name.full}@${version}${what}`,
    body,
    cacheKey: oid === '' ? undefined : `pkg\0${name.full}\0${oid}\0${version}\0${target}\0${section}\0${contentKey}`,
  };
}

async function renderReadme(server: ServerContext, { name, item }: ShownVersion): Promise<{ html: SafeHtml; key: string }> {
  try {
    const stored = await readStoredText(server.storage, readmeKey(name, item.id));
    if (stored.kind === 'missing') return { html: html`<p class="muted">This version has no README.</p>`, key: 'none' };
    if (stored.kind === 'too-large') return { html: html`<p class="muted">The README of this version is too large to show here.</p>`, key: 'too-large' };
    const rendered = await renderMarkdown(stored.text);
    // a busy renderer's plain text is not kept: the next view should get the formatted page
    return { html: rendered.html, key: rendered.fallback === 'busy' ? '' : rendered.key };
  } catch (error) {
    // the rest of the page is still worth showing without its README
    server.logger.error(`cannot show the README of ${name.full}@${item.id.version} ${item.id.target}: ${errorMessage(error)}`);
    return { html: html`<p class="muted">The README could not be loaded; try again later.</p>`, key: '' };
  }
}

const KINDS = [
  ['standard', 'Dependencies'],
  ['peer', 'Peer dependencies'],
  ['dev', 'Dev dependencies'],
] as const;

function renderDependencies(server: ServerContext, entry: IndexEntry, target: TargetKind): SafeHtml {
  const deps = Object.entries(entry.dependencies ?? {}).sort(([a], [b]) => a.toLowerCase().localeCompare(b.toLowerCase()));
  if (deps.length === 0) return html`<p class="muted">This package has no dependencies.</p>`;
  return html`${KINDS.map(([kind, title]) => {
    const ofKind = deps.filter(([, [, type]]) => type === kind);
    if (ofKind.length === 0) return html``;
    return html`<section>
<h2>${title}</h2>
<ul class="deps">${ofKind.map(([alias, dep]) => html`<li>${renderDependency(server, alias, dep, target)}</li>`)}</ul>
</section>`;
  })}`;
}

function renderDependency(server: ServerContext, alias: string, [spec]: DependencyEntry, ownTarget: TargetKind): SafeHtml {
  if ('name' in spec) {
    // a dependency without a target resolves for the depending package's target (as pesde does)
    const target = spec.target ?? ownTarget;
    const linked = ownPackage(server, spec.name, spec.index);
    const label = html`${spec.name} <span class="muted">${spec.version}</span> <span class="badge" title="resolves for this target">${TARGET_NAMES[target] ?? target}</span>`;
    const shownAlias = alias === spec.name.split('/')[1] ? '' : html` <span class="muted small">as ${alias}</span>`;
    if (linked !== null) return html`<a href="${packagePath(linked)}">${label}</a>${shownAlias}`;
    return html`${label}${shownAlias}<br><span class="muted small">from another index: ${renderIndex(spec.index)}</span>`;
  }
  if ('wally' in spec) {
    return html`${spec.wally.replace(/^wally#/, '')} <span class="muted">${spec.version}</span> <span class="badge">wally</span><br><span class="muted small">from ${renderIndex(spec.index)}</span>`;
  }
  const repo = httpUrl(spec.repo);
  return html`${repo === null ? spec.repo : html`<a href="${repo}" rel="nofollow noopener noreferrer">${repo.replace(/^https?:\/\//, '')}</a> <span class="ext" title="leaves this registry">↗</span>`} <span class="muted">#${spec.rev}${spec.path && ` (${spec.path})`}</span> <span class="badge">git</span>`;
}

/** Another index: a link that says it leaves this registry when it is a web address. */
function renderIndex(index: string): SafeHtml {
  const url = httpUrl(index);
  return url === null ? html`${index}` : html`<a href="${url}" rel="nofollow noopener noreferrer">${index}</a> <span class="ext" title="leaves this registry">↗</span>`;
}

/** The dependency's package when it is published on this index, for a link. */
function ownPackage(server: ServerContext, name: string, index: string): PackageName | null {
  if (!isOwnIndex(server, index)) return null;
  try {
    const parsed = parsePackageName(name);
    return server.state().packages.has(parsed.full) ? parsed : null;
  } catch {
    return null;
  }
}

function renderVersions({ name, record, item }: ShownVersion, publishers: Publishers): SafeHtml {
  const groups = versionsNewestFirst(record);
  return html`<table class="versions">
<caption class="sr-only">Every version, newest first</caption>
<thead><tr><th scope="col">Version</th><th scope="col">Targets</th><th scope="col">Published</th><th scope="col">By</th></tr></thead>
<tbody>
${groups.map(({ version, entries }) => {
    const first = entries[0]!;
    const allYanked = entries.every((e) => e.entry.yanked);
    const classes = [version === item.id.version && 'current', allYanked && 'yanked'].filter(Boolean).join(' ');
    return html`<tr${classes !== '' && html` class="${classes}"`}>
<td><a href="${packagePath(name)}${versionQuery(version, first.id.target)}"${version === item.id.version && html` aria-current="page"`}>${version}</a>${version === record.latestVersion && html` <span class="badge ok">latest</span>`}${isPrerelease(version) && html` <span class="badge warn">pre-release</span>`}${allYanked && html` <span class="badge bad">yanked</span>`}</td>
<td>${entries.map((e, i) => html`${i > 0 && ' '}<a class="small${e.entry.yanked ? ' struck' : ''}" href="${packagePath(name)}${versionQuery(e.id.version, e.id.target)}">${TARGET_NAMES[e.id.target]}</a>${!allYanked && e.entry.yanked && html` <span class="badge bad">yanked</span>`}`)}</td>
<td class="muted small">${publishedDate(first.entry.published_at)}</td>
<td class="small">${[...new Set(entries.map((e) => publishers.get(`${e.id.version} ${e.id.target}`)).filter((who): who is string => who !== undefined))].join(', ')}</td>
</tr>`;
  })}
</tbody>
</table>`;
}
