/**
 * The points one query word gives each document of a search base, and the working arrays
 * that adding points up needs. A word's points depend only on the word and the base's
 * documents, which never change, so they are kept (within a byte budget) for the next
 * query with that word: queries share words far more often than whole queries repeat (a
 * word alone, with another, on a second page), and a common word or one of one or two
 * characters is the costly part of a query (thousands of documents to check, or all of
 * them), while adding up kept points costs a few ns a document.
 */
import { ByteLru } from './byte-lru.js';
import type { SearchDoc } from './search-index.js';
import type { TrigramIndex } from './trigram-index.js';

/** Documents checked or added per step (some tenths of a millisecond; see sliced-work.ts). */
export const STEP_DOCS = 4096;
/** Memory for kept words' points, per base: a word matching 10,000 documents takes 80 kB. */
const TERM_CACHE_BYTES = 8 * 1024 * 1024;
/** Working arrays kept for reuse; more queries at once than this allocate their own. */
const POOLED = 4;

export interface Fields {
  names: TrigramIndex;
  scopes: TrigramIndex;
  descriptions: TrigramIndex;
}

/** Per query: which documents it has touched (stamps), their scores so far, and the list of them. */
export interface Scratch {
  stamps: Uint32Array;
  scores: Int32Array;
  touched: Int32Array;
  stamp: number;
}

/** The documents a word is found in (ascending) and the points it gives each, for a weight of 1. */
export interface TermHits {
  docs: Int32Array;
  points: Int32Array;
}

export class TermScorer {
  private readonly pool: Scratch[] = [];
  private readonly kept = new ByteLru<TermHits>(TERM_CACHE_BYTES);

  constructor(
    private readonly docs: readonly SearchDoc[],
    private readonly fields: () => Fields,
  ) {}

  /**
   * Working arrays with a fresh stamp. A sliced query holds its arrays across turns of the
   * event loop; a query started meanwhile gets arrays of its own.
   */
  startQuery(): Scratch {
    const n = this.docs.length;
    const scratch = this.pool.pop() ?? { stamps: new Uint32Array(n), scores: new Int32Array(n), touched: new Int32Array(n), stamp: 0 };
    if (scratch.stamp === 0xffffffff) {
      scratch.stamps.fill(0);
      scratch.stamp = 0;
    }
    scratch.stamp++;
    return scratch;
  }

  endQuery(scratch: Scratch): void {
    if (this.pool.length < POOLED) this.pool.push(scratch);
  }

  /**
   * The points `term` gives: a name match outweighs any scope and description match together
   * (exact 100, prefix 50, anywhere 20; scope exact 4, anywhere 2; description 1). Query
   * words never contain whitespace, so none matches across fields.
   */
  *hits(term: string): Generator<void, TermHits> {
    const kept = this.kept.get(term);
    if (kept !== undefined) return kept;
    const docs = this.docs;
    const { names, scopes, descriptions } = this.fields();
    const scratch = this.startQuery();
    try {
      const { stamps, scores, touched, stamp } = scratch;
      let touchedCount = 0;
      const add = (i: number, points: number) => {
        if (stamps[i] === stamp) {
          scores[i]! += points;
        } else {
          stamps[i] = stamp;
          scores[i] = points;
          touched[touchedCount++] = i;
        }
      };
      // a three-character word's candidates are exactly the documents containing it, longer ones are checked
      const passes: Array<[TrigramIndex, (doc: SearchDoc) => string, (text: string) => number]> = [
        [names, (doc) => doc.name, (name) => (name === term ? 100 : name.startsWith(term) ? 50 : 20)],
        [scopes, (doc) => doc.scope, (scope) => (scope === term ? 4 : 2)],
        [descriptions, (doc) => doc.lowerDescription, () => 1],
      ];
      for (const [index, field, points] of passes) {
        const candidates = index.candidates(term);
        const checked = candidates === null || term.length > 3;
        const n = candidates?.length ?? docs.length;
        for (let k = 0; k < n; k++) {
          if (k % STEP_DOCS === STEP_DOCS - 1) yield;
          const i = candidates === null ? k : candidates[k]!;
          const text = field(docs[i]!);
          if (checked && !text.includes(term)) continue;
          add(i, points(text));
        }
      }
      const found = touched.slice(0, touchedCount);
      const hits = { docs: found, points: Int32Array.from(found, (i) => scores[i]!) };
      this.kept.set(term, hits, 8 * touchedCount + 2 * term.length + 64);
      return hits;
    } finally {
      this.endQuery(scratch);
    }
  }
}
