/**
 * Package search over scope, name and description, in memory. The official registry runs
 * tantivy over 1-12 character n-grams with boosts name 3.5, scope 2, description 1; a
 * substring match per query word finds the same packages; scores rank any name match
 * first (exact, then prefix, then anywhere), then scope, then description, then newest.
 *
 * Trigram indexes of each field (trigram-index.ts) narrow each query word of three or more
 * characters to the documents that can contain it, and scores add up per field in a
 * preallocated array, so a query costs in proportion to its matches, not to the size of the
 * index, and allocates next to nothing. A refresh changes a few documents: they go into a
 * small overlay (`added` and `removed`) over the shared, immutable base, which is rebuilt
 * only when the overlay has grown, so advancing a state never re-indexes everything.
 *
 * One index serves the API's search, which leaves deprecated packages out, and the web
 * package list, which shows them marked (`listing`).
 */
import { queryTerms, type QueryTerms } from './search-query.js';
import { runSliced, runToEnd, sortSliced } from './sliced-work.js';
import { STEP_DOCS, TermScorer, type Fields } from './search-terms.js';
import { TrigramIndex } from './trigram-index.js';

export interface SearchDoc {
  /** `scope/name` */
  readonly full: string;
  readonly scope: string;
  readonly name: string;
  /** of the version search shows, lower-cased for matching */
  readonly lowerDescription: string;
  /** sorts chronologically as a string (timestampSortKey) */
  readonly publishedKey: string;
  /** non-empty when deprecated */
  readonly deprecated: string | undefined;
}

export interface SearchPage {
  ids: string[];
  /** every match, not just this page */
  count: number;
}

export interface Searchable {
  /** packages a query can find */
  readonly size: number;
  /** Throws `invalid_input` (400) for a query past the caps of search-query.ts. */
  search(query: string, offset: number, limit?: number): SearchPage;
  /** The same page, computed in steps that share the event loop (sliced-work.ts). */
  searchSliced(query: string, offset: number, limit?: number): Promise<SearchPage>;
}

export const SEARCH_PAGE_SIZE = 50;

/** More ranked results than this are shown by sorting every match instead of keeping a top list. */
const MAX_KEPT = 1000;
/** The overlay is folded into a new base when it holds more documents than this share of the base, */
const OVERLAY_SHARE = 0.05;
/** or than this many, whichever is more. */
const OVERLAY_MIN = 256;

/** Documents indexed once and shared by every index built on them; the costly parts are made on first use. */
class Base {
  readonly docs: readonly SearchDoc[];
  readonly deprecated: Uint8Array;
  private fieldIndexes: Fields | undefined;
  private newest: { order: Int32Array; rankOf: Int32Array } | undefined;
  /** the one build of the parts above, advanced by whichever query needs them */
  private building: Generator<void, void> | undefined;
  private positions: Map<string, number> | undefined;
  /** each query word's points, and the working arrays of queries */
  readonly terms: TermScorer;

  constructor(docs: readonly SearchDoc[]) {
    this.docs = docs;
    this.deprecated = Uint8Array.from(docs, (d) => (d.deprecated ? 1 : 0));
    this.terms = new TermScorer(docs, () => this.fields);
  }

  get fields(): Fields {
    if (this.fieldIndexes === undefined) runToEnd(this.prepare());
    return this.fieldIndexes!;
  }

  /** document numbers newest first, and each document's place in that order */
  get newestFirst(): { order: Int32Array; rankOf: Int32Array } {
    if (this.newest === undefined) runToEnd(this.prepare());
    return this.newest!;
  }

  /**
   * Makes the costly parts in steps, shared by every query that waits for them: a base made
   * by folding an overlay is indexed afresh, and that must not hold the event loop either.
   */
  *prepare(): Generator<void, void> {
    while (this.fieldIndexes === undefined || this.newest === undefined) {
      this.building ??= this.build();
      if (this.building.next().done === true) return;
      yield;
    }
  }

  private *build(): Generator<void, void> {
    const docs = this.docs;
    const names = yield* TrigramIndex.buildSteps(docs.length, (i) => docs[i]!.name);
    const scopes = yield* TrigramIndex.buildSteps(docs.length, (i) => docs[i]!.scope);
    const descriptions = yield* TrigramIndex.buildSteps(docs.length, (i) => docs[i]!.lowerDescription);
    const order = yield* sortSliced(Int32Array.from(docs.keys()), (a, b) => newestFirst(docs[a]!, docs[b]!));
    const rankOf = new Int32Array(docs.length);
    for (let rank = 0; rank < order.length; rank++) rankOf[order[rank]!] = rank;
    this.fieldIndexes = { names, scopes, descriptions };
    this.newest = { order, rankOf };
    this.building = undefined;
  }

  position(id: string): number | undefined {
    if (this.positions === undefined) {
      this.positions = new Map();
      for (let i = 0; i < this.docs.length; i++) this.positions.set(this.docs[i]!.full, i);
    }
    return this.positions.get(id);
  }
}

interface Counts {
  /** documents in the index */
  all: number;
  /** of them, not deprecated (what the API's search finds) */
  current: number;
  /** base documents the overlay hides */
  removed: number;
}

interface Scored {
  doc: SearchDoc;
  score: number;
}

export class SearchIndex implements Searchable {
  private readonly base: Base;
  /** base documents no longer in this index (removed, or replaced by one in `added`), 1 each; null for none */
  private readonly removed: Uint8Array | null;
  /** documents not in the base, by id */
  private readonly added: ReadonlyMap<string, SearchDoc>;
  private addedNewest: SearchDoc[] | undefined;
  private readonly counts: Counts;
  /** the same documents with deprecated ones found too, for the web package list */
  readonly listing: Searchable;

  private constructor(base: Base, removed: Uint8Array | null, added: ReadonlyMap<string, SearchDoc>, counts: Counts) {
    this.base = base;
    this.removed = removed;
    this.added = added;
    this.counts = counts;
    this.listing = {
      size: counts.all,
      search: (query, offset, limit = SEARCH_PAGE_SIZE) => this.find(query, offset, limit, true),
      searchSliced: (query, offset, limit = SEARCH_PAGE_SIZE) => runSliced(this.steps(queryTerms(query), offset, limit, true)),
    };
  }

  /** An index of `docs`; documents are found by `full` id. */
  static of(docs: Iterable<SearchDoc>): SearchIndex {
    const all = [...docs];
    return new SearchIndex(new Base(all), null, new Map(), { all: all.length, current: all.filter((d) => !d.deprecated).length, removed: 0 });
  }

  /** packages the API's search can find (deprecated ones are left out) */
  get size(): number {
    return this.counts.current;
  }

  /** A copy with some packages replaced or removed (null), for the next commit's state. */
  with(changes: ReadonlyMap<string, SearchDoc | null>): SearchIndex {
    if (changes.size === 0) return this;
    // a copy per refresh: one byte a package, far less than the refresh itself costs
    const removed = this.removed === null ? new Uint8Array(this.base.docs.length) : this.removed.slice();
    let removedCount = this.counts.removed;
    const added = new Map(this.added);
    const counts = { ...this.counts };
    const tally = (doc: SearchDoc | undefined, sign: number) => {
      if (doc === undefined) return;
      counts.all += sign;
      if (!doc.deprecated) counts.current += sign;
    };
    for (const [id, doc] of changes) {
      const at = this.base.position(id);
      if (at !== undefined && removed[at] === 0) {
        removed[at] = 1;
        removedCount++;
        tally(this.base.docs[at], -1);
      }
      tally(added.get(id), -1);
      if (doc === null) {
        added.delete(id);
      } else {
        added.set(id, doc);
        tally(doc, 1);
      }
    }
    counts.removed = removedCount;
    if (removedCount + added.size > Math.max(OVERLAY_MIN, this.base.docs.length * OVERLAY_SHARE)) {
      const docs = this.base.docs.filter((_, i) => removed[i] === 0);
      return SearchIndex.of([...docs, ...added.values()]);
    }
    return new SearchIndex(this.base, removed, added, counts);
  }

  search(query: string, offset: number, limit = SEARCH_PAGE_SIZE): SearchPage {
    return this.find(query, offset, limit, false);
  }

  /** Newest first: the base's order and the overlay's merged, skipping what this index leaves out. */
  private byDate(offset: number, limit: number, withDeprecated: boolean): SearchPage {
    const count = withDeprecated ? this.counts.all : this.counts.current;
    const ids: string[] = [];
    const { order } = this.base.newestFirst;
    const docs = this.base.docs;
    const deprecated = this.base.deprecated;
    const removed = this.removed;
    const extra = this.newestAdded();
    let i = 0;
    let j = 0;
    let seen = 0;
    const end = offset + limit;
    while (seen < end) {
      while (i < order.length && ((removed !== null && removed[order[i]!] === 1) || (!withDeprecated && deprecated[order[i]!] === 1))) i++;
      while (j < extra.length && !withDeprecated && extra[j]!.deprecated) j++;
      const fromBase = i < order.length ? docs[order[i]!]! : undefined;
      const fromExtra = extra[j];
      if (fromBase === undefined && fromExtra === undefined) break;
      let next: SearchDoc;
      if (fromExtra === undefined || (fromBase !== undefined && newestFirst(fromBase, fromExtra) < 0)) {
        next = fromBase!;
        i++;
      } else {
        next = fromExtra;
        j++;
      }
      if (seen >= offset) ids.push(next.full);
      seen++;
    }
    return { ids, count };
  }

  private newestAdded(): SearchDoc[] {
    this.addedNewest ??= [...this.added.values()].sort(newestFirst);
    return this.addedNewest;
  }

  /** Builds what queries need (the one shared build), a step at a time, for a caller that paces itself. */
  prepareSteps(): Generator<void, void> {
    return this.base.prepare();
  }

  /**
   * The same page as `search`, computed in steps that share the event loop with every
   * other request (sliced-work.ts), so a costly query (many short words on a large index,
   * or the first after a rebuild of the base) never holds the server for long. The API's
   * search uses it.
   */
  searchSliced(query: string, offset: number, limit = SEARCH_PAGE_SIZE): Promise<SearchPage> {
    return runSliced(this.steps(queryTerms(query), offset, limit, false));
  }

  private find(query: string, offset: number, limit: number, withDeprecated: boolean): SearchPage {
    return runToEnd(this.steps(queryTerms(query), offset, limit, withDeprecated));
  }

  private *steps(terms: QueryTerms, offset: number, limit: number, withDeprecated: boolean): Generator<void, SearchPage> {
    yield* this.base.prepare();
    if (terms.size === 0) return this.byDate(offset, limit, withDeprecated);
    return yield* this.ranked(terms, offset, limit, withDeprecated);
  }

  /**
   * Every match is counted, but only the first offset + limit in rank order are shown:
   * keeping those in a short sorted list costs far less than sorting tens of thousands of
   * matches (a common word or `pkg` matches most of a large index). It pauses (yields)
   * every STEP_DOCS documents.
   */
  private *ranked(terms: QueryTerms, offset: number, limit: number, withDeprecated: boolean): Generator<void, SearchPage> {
    const scorer = this.base.terms;
    const scratch = scorer.startQuery();
    try {
      const { stamps, scores, touched, stamp } = scratch;
      let touchedCount = 0;
      for (const [term, weight] of terms) {
        const hits = yield* scorer.hits(term);
        const { docs, points } = hits;
        for (let k = 0; k < docs.length; k++) {
          if (k % STEP_DOCS === STEP_DOCS - 1) yield;
          const i = docs[k]!;
          if (stamps[i] === stamp) {
            scores[i]! += points[k]! * weight;
          } else {
            stamps[i] = stamp;
            scores[i] = points[k]! * weight;
            touched[touchedCount++] = i;
          }
        }
      }
      return yield* this.page(terms, offset, limit, withDeprecated, touched.subarray(0, touchedCount), scores);
    } finally {
      scorer.endQuery(scratch);
    }
  }

  /** The page of results from the scores `ranked` added up for the base documents in `touched`. */
  private *page(terms: QueryTerms, offset: number, limit: number, withDeprecated: boolean, touched: Int32Array, scores: Int32Array): Generator<void, SearchPage> {
    const base = this.base;
    const docs = base.docs;
    const touchedCount = touched.length;
    const wanted = offset + limit;
    const top = new TopList(wanted <= 0 || wanted > MAX_KEPT ? Infinity : wanted, base.newestFirst);
    const removed = this.removed;
    const deprecated = base.deprecated;
    for (let t = 0; t < touchedCount; t++) {
      if (t % STEP_DOCS === STEP_DOCS - 1) yield;
      const i = touched[t]!;
      if ((removed !== null && removed[i] === 1) || (!withDeprecated && deprecated[i] === 1)) continue;
      top.offer(i, scores[i]!);
    }
    const ranked = top.results();
    // the overlay's few documents are scored one by one and merged in
    const extra: Scored[] = [];
    for (const doc of this.added.values()) {
      if (!withDeprecated && doc.deprecated) continue;
      const score = scoreDoc(doc, terms);
      if (score > 0) extra.push({ doc, score });
    }
    if (extra.length === 0) return { ids: Array.from(ranked.subarray(offset, offset + limit), (i) => docs[i]!.full), count: top.count };
    // both lists are in rank order: merged as far as the page, not sorted together (a deep
    // page of a common word would sort tens of thousands of objects with a comparator)
    extra.sort(compareRank);
    const ids: string[] = [];
    const end = offset + limit;
    let i = 0;
    let j = 0;
    for (let k = 0; k < end && (i < ranked.length || j < extra.length); k++) {
      if (k % STEP_DOCS === STEP_DOCS - 1) yield;
      const fromBase = i < ranked.length ? ranked[i]! : -1;
      const fromExtra = extra[j];
      let doc: SearchDoc;
      if (fromExtra === undefined || (fromBase >= 0 && (scores[fromBase]! - fromExtra.score || newestFirst(fromExtra.doc, docs[fromBase]!)) > 0)) {
        doc = docs[fromBase]!;
        i++;
      } else {
        doc = fromExtra.doc;
        j++;
      }
      if (k >= offset) ids.push(doc.full);
    }
    return { ids, count: top.count + extra.length };
  }
}

/**
 * The best `keep` documents by score, then by place in the newest-first order (compareRank
 * for base documents, on integers), and how many were offered.
 */
class TopList {
  private readonly docs: number[] = [];
  private readonly scores: number[] = [];
  count = 0;
  private readonly rankOf: Int32Array;

  constructor(
    private readonly keep: number,
    private readonly newest: { order: Int32Array; rankOf: Int32Array },
  ) {
    this.rankOf = newest.rankOf;
  }

  /** Negative when document a ranks before document b. */
  private compare(aScore: number, a: number, bScore: number, b: number): number {
    return bScore - aScore || this.rankOf[a]! - this.rankOf[b]!;
  }

  offer(doc: number, score: number): void {
    this.count++;
    const { docs, scores } = this;
    if (this.keep === Infinity) {
      docs.push(doc);
      scores.push(score);
      return;
    }
    const last = docs.length - 1;
    if (docs.length >= this.keep && this.compare(score, doc, scores[last]!, docs[last]!) >= 0) return;
    let lo = 0;
    let hi = docs.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.compare(score, doc, scores[mid]!, docs[mid]!) < 0) hi = mid;
      else lo = mid + 1;
    }
    docs.splice(lo, 0, doc);
    scores.splice(lo, 0, score);
    if (docs.length > this.keep) {
      docs.pop();
      scores.pop();
    }
  }

  /**
   * The kept documents in rank order. Every match (a deep page) is sorted as numbers that
   * encode score and rank together, which the engine sorts natively: a comparator called
   * for each of tens of thousands of matches would hold the event loop many times longer.
   */
  results(): Int32Array {
    if (this.keep !== Infinity) return Int32Array.from(this.docs);
    const { order } = this.newest;
    if (order.length > RANK_SPAN) {
      const sorted = this.docs.map((_, k) => k).sort((x, y) => this.compare(this.scores[x]!, this.docs[x]!, this.scores[y]!, this.docs[y]!));
      return Int32Array.from(sorted, (k) => this.docs[k]!);
    }
    // higher scores first, then lower ranks: exact in a double for scores below 2^31
    const keys = Float64Array.from(this.docs, (doc, k) => -this.scores[k]! * RANK_SPAN + this.rankOf[doc]!);
    keys.sort();
    return Int32Array.from(keys, (key) => order[((key % RANK_SPAN) + RANK_SPAN) % RANK_SPAN]!);
  }
}

/** Ranks below this fit beside a score in one sort key. */
const RANK_SPAN = 2 ** 21;

/** Negative when `a` ranks before `b`: higher score, then newest, then id (a total order). */
function compareRank(a: Scored, b: Scored): number {
  return b.score - a.score || newestFirst(a.doc, b.doc);
}

/** The points of `ranked`, for one document (the overlay's); query words never contain whitespace, so none matches across fields. */
function scoreDoc(doc: SearchDoc, terms: QueryTerms): number {
  let score = 0;
  for (const [term, weight] of terms) {
    // a name match outweighs any scope and description match together
    if (doc.name === term) score += 100 * weight;
    else if (doc.name.startsWith(term)) score += 50 * weight;
    else if (doc.name.includes(term)) score += 20 * weight;
    if (doc.scope === term) score += 4 * weight;
    else if (doc.scope.includes(term)) score += 2 * weight;
    if (doc.lowerDescription.includes(term)) score += weight;
  }
  return score;
}

function newestFirst(a: SearchDoc, b: SearchDoc): number {
  if (a.publishedKey !== b.publishedKey) return a.publishedKey < b.publishedKey ? 1 : -1;
  return a.full < b.full ? -1 : a.full > b.full ? 1 : 0;
}

