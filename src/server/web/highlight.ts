/**
 * Code blocks coloured on the server with shiki (TextMate grammars, the ones VS Code uses;
 * its `luau` grammar knows types, string interpolation and `--!strict`). Runs inside the
 * render worker only, so its load time and CPU are bounded by the worker's deadline.
 *
 * Only the grammars a pesde README plausibly holds are loaded, with shiki's JavaScript
 * regex engine (no WebAssembly, nothing fetched). Tokens become `<span class="l-RRGGBB
 * d-RRGGBB">`: the light and dark theme colours as class names, so the page's CSP needs no
 * inline style attributes; highlight-theme.ts turns the themes into the matching rules.
 */
import type { HighlighterCore } from 'shiki/core';
import { escapeHtml } from './html.js';

export const LIGHT_THEME = 'github-light';
export const DARK_THEME = 'github-dark';

/** grammar module → the names a fence may use for it */
const GRAMMARS = ['luau', 'lua', 'toml', 'json', 'jsonc', 'yaml', 'shellscript', 'powershell', 'typescript', 'javascript', 'tsx', 'markdown', 'diff', 'rust', 'python', 'ini', 'xml', 'html', 'css'] as const;

/** One block longer than this is shown plain: tokenising is roughly linear but not cheap. */
const MAX_BLOCK_CHARS = 50_000;
/** Lines longer than this are left untokenised (minified code). */
const MAX_LINE_CHARS = 2_000;

let highlighter: HighlighterCore | undefined;

export async function loadHighlighter(): Promise<void> {
  if (highlighter !== undefined) return;
  const [{ createHighlighterCoreSync }, { createJavaScriptRegexEngine }] = await Promise.all([import('shiki/core'), import('shiki/engine/javascript')]);
  const langs = await Promise.all(GRAMMARS.map((name) => import(`shiki/langs/${name}.mjs`).then((m: { default: unknown }) => m.default)));
  const themes = await Promise.all([LIGHT_THEME, DARK_THEME].map((name) => import(`shiki/themes/${name}.mjs`).then((m: { default: unknown }) => m.default)));
  highlighter = createHighlighterCoreSync({
    // forgiving: a pattern the JS engine cannot translate matches nothing instead of failing the grammar
    engine: createJavaScriptRegexEngine({ forgiving: true }),
    langs: langs.flat() as never,
    themes: themes as never,
  });
}

/** Whether a fence's language is one we colour (`lua`, `luau`, `toml`, `sh`, `ts`, …). */
function knownLanguage(lang: string): string | null {
  if (highlighter === undefined) return null;
  const name = lang.toLowerCase();
  return highlighter.getLoadedLanguages().includes(name) ? name : null;
}

/** The block's inner HTML with coloured spans, or null to render it plain. */
export function highlightCode(code: string, lang: string | undefined): string | null {
  if (highlighter === undefined || lang === undefined || code.length > MAX_BLOCK_CHARS) return null;
  const known = knownLanguage(lang);
  if (known === null) return null;
  const { tokens } = highlighter.codeToTokens(code, {
    lang: known,
    themes: { light: LIGHT_THEME, dark: DARK_THEME },
    tokenizeMaxLineLength: MAX_LINE_CHARS,
  });
  return tokens
    .map((line) =>
      line
        .map((token) => {
          const light = colourClass('l', token.htmlStyle?.color);
          const dark = colourClass('d', token.htmlStyle?.['--shiki-dark']);
          const classes = [light, dark].filter((c) => c !== null).join(' ');
          return classes === '' ? escapeHtml(token.content) : `<span class="${classes}">${escapeHtml(token.content)}</span>`;
        })
        .join(''),
    )
    .join('\n');
}

/** `#D73A49` → `l-d73a49`; anything that is not a plain hex colour gets no class. */
function colourClass(prefix: string, colour: string | undefined): string | null {
  const hex = /^#([0-9a-f]{6}(?:[0-9a-f]{2})?)$/i.exec(colour ?? '')?.[1];
  return hex === undefined ? null : `${prefix}-${hex.toLowerCase()}`;
}
