/**
 * The stylesheet rules for highlighted code (highlight.ts writes `l-RRGGBB d-RRGGBB`
 * classes): every foreground colour of the light and dark themes, the dark ones inside
 * `prefers-color-scheme: dark`. A theme colour too faint on our code background (WCAG AA
 * wants 4.5:1 for text) is moved toward black or white until it passes, so the pages pass
 * an accessibility audit whatever the theme's choices; the class keeps the theme's name.
 */
import { DARK_THEME, LIGHT_THEME } from './highlight.js';

interface ThemeJson {
  colors?: Record<string, string>;
  tokenColors?: Array<{ settings?: { foreground?: string } }>;
}

/** the code block backgrounds of styles.ts (`--soft`) */
const LIGHT_BACKGROUND = '#f6f8fa';
const DARK_BACKGROUND = '#151b23';
const MIN_CONTRAST = 4.6;

export async function highlightCss(): Promise<string> {
  const [light, dark] = await Promise.all(
    [LIGHT_THEME, DARK_THEME].map((name) => import(`shiki/themes/${name}.mjs`).then((m: { default: ThemeJson }) => m.default)),
  );
  const rules = (theme: ThemeJson, prefix: string, background: string, towards: 0 | 255) =>
    [...themeColours(theme)].map((hex) => `.hl .${prefix}-${hex}{color:${readable(hex, background, towards)}}`).join('');
  return `${rules(light!, 'l', LIGHT_BACKGROUND, 0)}@media (prefers-color-scheme:dark){${rules(dark!, 'd', DARK_BACKGROUND, 255)}}`;
}

function themeColours(theme: ThemeJson): Set<string> {
  const found = new Set<string>();
  const add = (colour: string | undefined) => {
    const hex = /^#([0-9a-f]{6})(?:[0-9a-f]{2})?$/i.exec(colour ?? '')?.[1];
    if (hex !== undefined) found.add(hex.toLowerCase());
  };
  add(theme.colors?.['editor.foreground']);
  for (const rule of theme.tokenColors ?? []) add(rule.settings?.foreground);
  return found;
}

function channels(hex: string): [number, number, number] {
  const n = Number.parseInt(hex.replace('#', ''), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

function luminance([r, g, b]: [number, number, number]): number {
  const lin = (c: number) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

function contrast(a: [number, number, number], b: [number, number, number]): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

function readable(hex: string, background: string, towards: 0 | 255): string {
  const bg = channels(background);
  let colour = channels(hex);
  for (let step = 0; step < 20 && contrast(colour, bg) < MIN_CONTRAST; step++) {
    colour = colour.map((c) => Math.round(c + (towards - c) * 0.15)) as [number, number, number];
  }
  return `#${colour.map((c) => c.toString(16).padStart(2, '0')).join('')}`;
}
