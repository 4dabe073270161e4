/**
 * What every section of a package's pages shares: the heading (name, version, when it was
 * published, description, deprecation reason up front, yanked notice), the section links
 * (README, dependencies, versions, documentation), the version and target pickers (plain
 * GET forms; the page script sends them on change) and the sidebar: install lines with copy
 * buttons, the archive link, license, repository, exports, authors with their links and a
 * permalink to exactly this version and target.
 */
import type { IndexEntry, PackageName } from '../../index-repo/types.js';
import type { ServerContext } from '../context.js';
import { countDocPages } from './doc-tree.js';
import { TARGET_NAMES, packagePath, parseAuthor, publishedDate, sectionPath, versionQuery } from './format.js';
import { html, httpUrl, type SafeHtml } from './html.js';
import { clientIndexUrl } from './index-url.js';
import { copyable, renderInstallBox } from './install-box.js';
import { versionsNewestFirst, type ShownVersion } from './package-lookup.js';

export type PackageSection = '' | 'dependencies' | 'versions' | 'docs';

export function renderPackageHeader(shown: ShownVersion, section: PackageSection): SafeHtml {
  const { name, record, item } = shown;
  const entry = item.entry;
  const { version, target } = item.id;
  const hasDocs = countDocPages(entry.docs ?? []) > 0;
  const firstDoc = firstDocName(entry);
  const tab = (which: PackageSection, label: string, href: string) =>
    html`<a href="${href}"${which === section && html` aria-current="page"`}>${label}</a>`;
  return html`<header class="pkg-head">
<h1><span class="muted">${name.scope}/</span>${name.name}</h1>
<p class="pkg-meta"><span class="badge">${version}</span>${entry.yanked && html` <span class="badge bad">yanked</span>`}${isPrerelease(version) && html` <span class="badge warn">pre-release</span>`} · published ${publishedDate(entry.published_at)}</p>
${entry.description && html`<p class="lead">${entry.description}</p>`}
${record.file.deprecated && html`<div class="notice bad" role="note"><strong>Deprecated:</strong> ${record.file.deprecated}</div>`}
${entry.yanked && html`<div class="notice bad" role="note">This version is yanked: new installs will not pick it. Choose another version.</div>`}
</header>
<nav class="tabs" aria-label="Package sections">
${tab('', 'README', sectionPath(name, '', version, target))}
${tab('dependencies', `Dependencies (${Object.keys(entry.dependencies ?? {}).length})`, sectionPath(name, 'dependencies', version, target))}
${tab('versions', `Versions (${versionsNewestFirst(record).length})`, sectionPath(name, 'versions', version, target))}
${hasDocs && firstDoc !== null && tab('docs', 'Documentation', `${packagePath(name)}/docs/${firstDoc.split('/').map(encodeURIComponent).join('/')}${versionQuery(version, target)}`)}
</nav>`;
}

/** Pickers for another version or target of the same section; `action` is the section's path. */
export function renderPickers(shown: ShownVersion, action: string, extra: SafeHtml = html``): SafeHtml {
  const { record, item } = shown;
  const groups = versionsNewestFirst(record);
  const targets = record.file.entries.filter((e) => e.id.version === item.id.version);
  return html`<div class="pickers">
<form method="get" action="${action}">
<label for="pick-version">Version</label>
<select id="pick-version" name="version" data-autosubmit>${groups.map(({ version, entries }) => html`<option value="${version}"${version === item.id.version && html` selected`}>${version}${entries.every((e) => e.entry.yanked) && ' (yanked)'}</option>`)}</select>
<button type="submit">Show</button>
</form>
<form method="get" action="${action}">
<input type="hidden" name="version" value="${item.id.version}">
<label for="pick-target">Target</label>
<select id="pick-target" name="target" data-autosubmit>${targets.map((e) => html`<option value="${e.id.target}"${e.id.target === item.id.target && html` selected`}>${TARGET_NAMES[e.id.target]}${e.entry.yanked && ' (yanked)'}</option>`)}</select>
<button type="submit">Show</button>
</form>
${extra}
</div>`;
}

/** `publishers` maps `<version> <target>` to who published it (the audit trail), where known. */
export function renderSidebar(server: ServerContext, shown: ShownVersion, publishers: ReadonlyMap<string, string> = new Map()): SafeHtml {
  const { name, item } = shown;
  const entry = item.entry;
  const { version, target } = item.id;
  const archive = `/v1/packages/${encodeURIComponent(name.full)}/${encodeURIComponent(version)}/${encodeURIComponent(target)}/archive`;
  const repository = httpUrl(entry.repository);
  return html`<aside aria-label="About this package">
${renderInstallBox({ name, version, target, indexUrl: clientIndexUrl(server) })}
<p class="small">Or <a href="${archive}" download>download the archive</a> (.tar.gz).</p>
${renderExports(name, entry)}
<section>
<h2>Details</h2>
<dl class="meta">
<dt>Target</dt><dd>${TARGET_NAMES[target]} <span class="muted small">(${target})</span></dd>
${entry.license && html`<dt>License</dt><dd>${entry.license}</dd>`}
${entry.repository && html`<dt>Repository</dt><dd>${repository === null ? entry.repository : html`<a href="${repository}" rel="nofollow noopener noreferrer">${repositoryLabel(repository)}</a> <span class="ext" title="leaves this registry">↗</span>`}</dd>`}
<dt>Published</dt><dd>${publishedDate(entry.published_at)}</dd>
${publishers.has(`${version} ${target}`) && html`<dt>Published by</dt><dd>${publishers.get(`${version} ${target}`)!}</dd>`}
<dt>Permalink</dt><dd><a href="${packagePath(name)}${versionQuery(version, target)}">${name.full}@${version} (${target})</a></dd>
</dl>
</section>
${renderAuthors(entry.authors ?? [])}
</aside>`;
}

function renderExports(name: PackageName, entry: IndexEntry): SafeHtml {
  const t = entry.target;
  const hasBin = (t.environment === 'lune' || t.environment === 'luau') && t.bin !== undefined;
  const scripts = t.environment === 'lune' || t.environment === 'luau' ? Object.keys(t.scripts ?? {}).sort() : [];
  if (t.lib === undefined && !hasBin && scripts.length === 0) return html``;
  return html`<section>
<h2>Exports</h2>
<ul class="deps">
${t.lib !== undefined && html`<li>Library</li>`}
${hasBin && html`<li>Binary: run it without installing with ${copyable('run-bin', `pesde x ${name.full}`)}</li>`}
${scripts.length > 0 && html`<li>Scripts: ${scripts.map((s, i) => html`${i > 0 && ', '}<code>${s}</code>`)}</li>`}
</ul>
</section>`;
}

function renderAuthors(authors: readonly string[]): SafeHtml {
  if (authors.length === 0) return html``;
  return html`<section>
<h2>Authors</h2>
<ul class="deps">${authors.map((text) => {
    const a = parseAuthor(text);
    const site = httpUrl(a.url);
    return html`<li>${a.name}${a.email && html` · <a href="mailto:${a.email}" title="Email ${a.name}">${a.email}</a>`}${site !== null && html` · <a href="${site}" rel="nofollow noopener noreferrer">website</a> <span class="ext" title="leaves this registry">↗</span>`}</li>`;
  })}</ul>
</section>`;
}

function repositoryLabel(url: string): string {
  const parsed = new URL(url);
  if (parsed.hostname === 'github.com') return parsed.pathname.split('/').slice(1, 3).join('/').replace(/\.git$/, '');
  return url.replace(/^https?:\/\//, '').replace(/\/$/, '');
}

export function isPrerelease(version: string): boolean {
  return /^[^+]*-/.test(version);
}

function firstDocName(entry: IndexEntry): string | null {
  const queue = [...(entry.docs ?? [])];
  while (queue.length > 0) {
    const doc = queue.shift()!;
    if ('hash' in doc && 'name' in doc) return doc.name;
    if ('items' in doc && doc.items) queue.unshift(...doc.items);
  }
  return null;
}
