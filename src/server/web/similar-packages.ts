/**
 * For a 404 under /packages/: packages with a similar name, from the same search the front
 * page uses (its name and then its scope as queries), so a typo leads somewhere.
 */
import type { ServerContext } from '../context.js';
import type { PackageName } from '../../index-repo/types.js';
import { listingIndex } from './listing-index.js';

const MAX_SUGGESTIONS = 5;
const MAX_WORD_CHARS = 64;

export function similarPackages(server: ServerContext, rawUrl: string): PackageName[] {
  const match = /^\/packages\/([^/?#]+)(?:\/([^/?#]+))?/.exec(rawUrl);
  if (match === null) return [];
  const words = [match[2], match[1]]
    .filter((w): w is string => w !== undefined)
    .map((w) => safeDecode(w).slice(0, MAX_WORD_CHARS).replace(/[^a-z0-9_]+/gi, ' ').trim())
    .filter((w) => w !== '');
  const state = server.state();
  const found: PackageName[] = [];
  const seen = new Set<string>();
  for (const word of words) {
    for (const id of listingIndex(state).search(word, 0, MAX_SUGGESTIONS).ids) {
      const summary = state.packages.get(id);
      if (summary === undefined || seen.has(summary.full)) continue;
      seen.add(summary.full);
      found.push(summary);
      if (found.length === MAX_SUGGESTIONS) return found;
    }
  }
  return found;
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
