/**
 * What every page carries inline, made once: the stylesheet (styles.ts plus the highlighted
 * code colours of highlight-theme.ts) and the enhancement script (page-script.ts), and the
 * Content-Security-Policy that allows exactly those two by their SHA-256 and nothing else
 * inline: a script or style that a README smuggled past the sanitiser would not run.
 */
import { createHash } from 'node:crypto';
import { highlightCss } from './highlight-theme.js';
import { PAGE_SCRIPT } from './page-script.js';
import { STYLESHEET } from './styles.js';

export interface PageAssets {
  style: string;
  script: string;
  csp: string;
}

let assets: Promise<PageAssets> | undefined;

function sha256(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

export function pageAssets(): Promise<PageAssets> {
  assets ??= highlightCss().then((colours) => {
    const style = STYLESHEET + colours;
    const script = PAGE_SCRIPT;
    const csp = `default-src 'none'; style-src ${sha256(style)}; script-src ${sha256(script)}; img-src https: data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'`;
    return { style, script, csp };
  });
  return assets;
}
