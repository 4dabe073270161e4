/**
 * One package at one version: the README, how to install it, its details, doc pages,
 * dependencies (linked when they come from this index) and every version with its targets.
 */
import { parsePackageName } from '../../index-repo/names.js';
import type { DependencyEntry, IndexEntry, PackageName } from '../../index-repo/types.js';
import { errorMessage } from '../../errors.js';
import { readmeKey } from '../../storage/keys.js';
import type { ServerContext } from '../context.js';
import { countDocPages, renderDocTree } from './doc-tree.js';
import { docPath, packagePath, publishedDate, versionQuery } from './format.js';
import { html, httpUrl, type SafeHtml } from './html.js';
import { clientIndexUrl, isOwnIndex } from './index-url.js';
import { renderInstallBox } from './install-box.js';
import { renderMarkdown } from './markdown.js';
import { findShownVersion, versionsNewestFirst, type ShownVersion } from './package-lookup.js';
import type { PageContent, PageRequest } from './page-request.js';
import { readStoredText } from './stored-text.js';
import { publishersOf } from '../../audit/publishers.js';

export async function packagePage(page: PageRequest): Promise<PageContent> {
  const shown = await findShownVersion(page);
  const { name, record, item } = shown;
  const entry = item.entry;
  const readme = await renderReadme(page.server, shown);
  const publishers = await publishersOf(page.server.write.index.dir, page.server.state().commit, name.full).catch((error: unknown) => {
    page.server.logger.warn(`cannot read who published ${name.full}: ${errorMessage(error)}`);
    return new Map<string, string>();
  });
  const body = html`<div class="layout">
<div>
<h1>${name.full} <span class="badge">${item.id.version}</span> ${entry.yanked && html`<span class="badge bad">yanked</span>`}</h1>
${entry.description && html`<p class="lead">${entry.description}</p>`}
${record.file.deprecated && html`<div class="notice"><strong>Deprecated:</strong> ${record.file.deprecated}</div>`}
${entry.yanked && html`<div class="notice bad">This version is yanked: new installs will not pick it. Choose another version below.</div>`}
<article class="readme" id="readme">${readme}</article>
</div>
<aside>
${renderInstallBox({ name, version: item.id.version, target: item.id.target, indexUrl: clientIndexUrl(page.server) })}
${renderDetails(shown, publishers)}
${renderDocs(shown)}
${renderDependencies(page.server, entry)}
${renderVersions(shown, publishers)}
</aside>
</div>`;
  return { title: `${name.full}@${item.id.version}`, body };
}

async function renderReadme(server: ServerContext, { name, item }: ShownVersion): Promise<SafeHtml> {
  try {
    const stored = await readStoredText(server.storage, readmeKey(name, item.id));
    if (stored.kind === 'missing') return html`<p class="muted">This version has no README.</p>`;
    if (stored.kind === 'too-large') return html`<p class="muted">The README of this version is too large to show here.</p>`;
    return await renderMarkdown(stored.text);
  } catch (error) {
    // the rest of the page is still worth showing without its README
    server.logger.error(`cannot show the README of ${name.full}@${item.id.version} ${item.id.target}: ${errorMessage(error)}`);
    return html`<p class="muted">The README could not be loaded; try again later.</p>`;
  }
}

/** `publishers`: `<version> <target>` -> who published it, from the audit trail */
function renderDetails({ name, record, item }: ShownVersion, publishers: Map<string, string>): SafeHtml {
  const publisher = publishers.get(`${item.id.version} ${item.id.target}`);
  const entry = item.entry;
  const repository = httpUrl(entry.repository);
  const sameVersion = record.file.entries.filter((e) => e.id.version === item.id.version);
  return html`<section>
<h2>Details</h2>
<dl class="meta">
<dt>Published</dt><dd>${publishedDate(entry.published_at)}</dd>
${publisher && html`<dt>Published by</dt><dd>${publisher}</dd>`}
${entry.license && html`<dt>License</dt><dd>${entry.license}</dd>`}
${entry.authors && entry.authors.length > 0 && html`<dt>Authors</dt><dd>${entry.authors.map((a, i) => html`${i > 0 && ', '}${a}`)}</dd>`}
${entry.repository && html`<dt>Repository</dt><dd>${repository === null ? entry.repository : html`<a href="${repository}" rel="nofollow noopener noreferrer">${displayUrl(repository)}</a>`}</dd>`}
<dt>Targets</dt><dd>${sameVersion.map((e, i) => html`${i > 0 && ' '}${
    e.id.target === item.id.target
      ? html`<strong>${e.id.target}</strong>`
      : html`<a href="${packagePath(name)}${versionQuery(e.id.version, e.id.target)}">${e.id.target}</a>`
  }${e.entry.yanked && html` <span class="badge bad">yanked</span>`}`)}</dd>
${targetExports(entry) && html`<dt>Exports</dt><dd>${targetExports(entry)}</dd>`}
</dl>
</section>`;
}

function targetExports(entry: IndexEntry): string {
  const target = entry.target;
  const hasBin = target.environment === 'lune' || target.environment === 'luau';
  const parts = [
    target.lib !== undefined && 'library',
    hasBin && target.bin !== undefined && 'binary',
    hasBin && target.scripts && Object.keys(target.scripts).length > 0 && `scripts (${Object.keys(target.scripts).sort().join(', ')})`,
  ].filter((p): p is string => typeof p === 'string');
  return parts.join(', ');
}

function displayUrl(url: string): string {
  return url.replace(/^https?:\/\//, '').replace(/\/$/, '');
}

function renderDocs({ name, item }: ShownVersion): SafeHtml {
  const docs = item.entry.docs ?? [];
  if (countDocPages(docs) === 0) return html``;
  return html`<section>
<h2>Documentation</h2>
${renderDocTree(docs, (pageName) => docPath(name, pageName, item.id.version, item.id.target))}
</section>`;
}

function renderDependencies(server: ServerContext, entry: IndexEntry): SafeHtml {
  const deps = Object.entries(entry.dependencies ?? {}).sort(([a], [b]) => a.toLowerCase().localeCompare(b.toLowerCase()));
  if (deps.length === 0) return html``;
  const kinds = [
    ['standard', 'Dependencies'],
    ['peer', 'Peer dependencies'],
    ['dev', 'Dev dependencies'],
  ] as const;
  return html`${kinds.map(([kind, title]) => {
    const ofKind = deps.filter(([, [, type]]) => type === kind);
    if (ofKind.length === 0) return html``;
    return html`<section>
<h2>${title}</h2>
<ul class="deps">${ofKind.map(([alias, dep]) => html`<li>${renderDependency(server, alias, dep)}</li>`)}</ul>
</section>`;
  })}`;
}

function renderDependency(server: ServerContext, alias: string, [spec]: DependencyEntry): SafeHtml {
  if ('name' in spec) {
    const linked = ownPackage(server, spec.name, spec.index);
    const label = html`${spec.name} <span class="muted">${spec.version}</span>${spec.target && html` <span class="badge">${spec.target}</span>`}`;
    const shownAlias = alias === spec.name.split('/')[1] ? '' : html` <span class="muted small">as ${alias}</span>`;
    return linked === null
      ? html`${label}${shownAlias}<br><span class="muted small">from ${spec.index}</span>`
      : html`<a href="${packagePath(linked)}">${label}</a>${shownAlias}`;
  }
  if ('wally' in spec) {
    return html`${spec.wally} <span class="muted">${spec.version}</span> <span class="badge">wally</span><br><span class="muted small">from ${spec.index}</span>`;
  }
  const repo = httpUrl(spec.repo);
  return html`${repo === null ? spec.repo : html`<a href="${repo}" rel="nofollow noopener noreferrer">${displayUrl(repo)}</a>`} <span class="muted">#${spec.rev}${spec.path && ` (${spec.path})`}</span> <span class="badge">git</span>`;
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

function renderVersions({ name, record, item }: ShownVersion, publishers: Map<string, string>): SafeHtml {
  const groups = versionsNewestFirst(record);
  return html`<section>
<h2>Versions (${groups.length})</h2>
<table class="versions">
${groups.map(({ version, entries }) => {
    const first = entries[0]!;
    const allYanked = entries.every((e) => e.entry.yanked);
    return html`<tr${version === item.id.version && html` class="current"`}>
<td><a href="${packagePath(name)}${versionQuery(version, first.id.target)}">${version}</a>${allYanked && html` <span class="badge bad">yanked</span>`}</td>
<td>${entries.map((e, i) => html`${i > 0 && ' '}<a class="small" href="${packagePath(name)}${versionQuery(e.id.version, e.id.target)}">${e.id.target}</a>${!allYanked && e.entry.yanked && html`<span class="badge bad">yanked</span>`}`)}</td>
<td class="muted small">${publishedDate(first.entry.published_at)}${publishers.has(`${version} ${first.id.target}`) && html` by ${publishers.get(`${version} ${first.id.target}`)}`}</td>
</tr>`;
  })}
</table>
</section>`;
}
