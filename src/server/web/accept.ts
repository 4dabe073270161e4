/**
 * Whether a request is from a person's browser: its Accept header ranks text/html above
 * JSON. Browsers send `text/html,...,*\/*;q=0.8`; the pesde client, curl and fetch send
 * nothing or `*\/*`, which ranks both the same, so every API client keeps getting the API.
 */
import { memoize } from '../memo.js';

interface MediaRange {
  type: string;
  subtype: string;
  q: number;
}

function parseAccept(header: string): MediaRange[] {
  const ranges: MediaRange[] = [];
  for (const part of header.split(',')) {
    const [media = '', ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    const [type, subtype] = media.split('/');
    if (!type || !subtype) continue;
    let q = 1;
    for (const param of params) {
      const match = /^q\s*=\s*([0-9.]+)$/.exec(param);
      if (match) q = Math.min(1, Math.max(0, Number(match[1]) || 0));
    }
    ranges.push({ type, subtype, q });
  }
  return ranges;
}

/** The quality the most specific matching range gives `type/subtype` (RFC 9110 12.5.1). */
function qualityOf(ranges: readonly MediaRange[], type: string, subtype: string): number {
  let best: { specificity: number; q: number } | null = null;
  for (const range of ranges) {
    let specificity: number;
    if (range.type === type && range.subtype === subtype) specificity = 2;
    else if (range.type === type && range.subtype === '*') specificity = 1;
    else if (range.type === '*' && range.subtype === '*') specificity = 0;
    else continue;
    if (best === null || specificity > best.specificity) best = { specificity, q: range.q };
  }
  return best?.q ?? 0;
}

export function prefersHtml(accept: string | undefined): boolean {
  if (accept === undefined || accept === '') return false;
  return rankedHtml(accept);
}

// every client sends its one Accept header on each request: parsed once, it costs a lookup
const rankedHtml = memoize(
  (accept) => {
    const ranges = parseAccept(accept);
    const htmlQ = qualityOf(ranges, 'text', 'html');
    return htmlQ > 0 && htmlQ > qualityOf(ranges, 'application', 'json');
  },
  256,
  512,
);
