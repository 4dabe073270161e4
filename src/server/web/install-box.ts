/**
 * How to install the version on show with pesde 0.7, lines to copy as they are:
 *
 *  - `[indices]` in the project's pesde.toml names this index by its Git URL;
 *  - `pesde add <scope>/<name>@<version> --target <target>`: the part after `@` is a
 *    version requirement (`1.2.3` means `^1.2.3`, and pesde writes `^<resolved>` into the
 *    manifest). `--target` is always given: without it pesde looks only for the project's
 *    own target kind (add.rs resolves with `loose_target: false`), so a line without it
 *    fails for a project of another kind even when the package has a single target.
 *    `--index <name>` is only needed when the index is not `default`, which the note says.
 *
 * Each line has a copy button, hidden until the page script shows it (it needs script).
 */
import type { PackageName, TargetKind } from '../../index-repo/types.js';
import { html, type SafeHtml } from './html.js';

export interface InstallFacts {
  name: PackageName;
  version: string;
  target: TargetKind;
  /** the Git URL clients put in `[indices]` */
  indexUrl: string;
}

function indicesLines(indexUrl: string): string {
  // a TOML basic string: JSON's escaping of quotes and backslashes is valid TOML
  return `[indices]\ndefault = ${JSON.stringify(indexUrl)}`;
}

/** A block to copy, with its button; `id` must be unique on the page. */
export function copyable(id: string, text: string | SafeHtml): SafeHtml {
  return html`<span class="copy-row"><pre class="copy" id="${id}">${text}</pre><button type="button" class="copy-button" data-copy="${id}" hidden>Copy</button></span>`;
}

export function renderInstallBox(facts: InstallFacts): SafeHtml {
  return html`<section class="install">
<h2>Install</h2>
<p class="small muted">In <code>pesde.toml</code>:</p>
${copyable('install-indices', indicesLines(facts.indexUrl))}
<p class="small muted">Then run:</p>
${copyable('install-add', html`pesde add ${facts.name.full}@${facts.version} <span class="nowrap">--target ${facts.target}</span>`)}
<p class="small muted">If <code>default</code> already names another index, add this one under another name (say <code>private = "…"</code>) and add <code>--index private</code> to the command.</p>
</section>`;
}
