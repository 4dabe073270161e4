/**
 * Which documents contain a given three-character sequence in one field (a package name,
 * scope or description), for every sequence in that field of every document. A search for a
 * word of three or more characters then looks only at the documents holding its rarest
 * trigram, a superset of the matches (exactly the matches for a three-character word),
 * instead of at every document.
 */

/** A trigram of ASCII characters packed into a small integer: 7 bits each. */
import { runToEnd } from './sliced-work.js';

const ASCII_BITS = 7;
const ASCII_KEYS = 1 << (3 * ASCII_BITS);

const EMPTY = new Int32Array(0);
/** Documents, and trigram keys, a build step covers (each well under a millisecond). */
const STEP_DOCS = 2048;
const STEP_KEYS = 1 << 16;

export class TrigramIndex {
  private constructor(
    /** document numbers, ascending, by packed ASCII trigram */
    private readonly ascii: ReadonlyMap<number, Int32Array>,
    /** the same for trigrams with any other character, which are rare in package metadata */
    private readonly other: ReadonlyMap<string, Int32Array>,
  ) {}

  /** `text(i)` is the field of document i, already lower-cased. */
  static build(count: number, text: (doc: number) => string): TrigramIndex {
    return runToEnd(TrigramIndex.buildSteps(count, text));
  }

  /**
   * The same, in steps of a few thousand documents (or keys): building the index of a
   * large index's descriptions at once would hold the event loop for hundreds of ms.
   */
  static *buildSteps(count: number, text: (doc: number) => string): Generator<void, TrigramIndex> {
    // two passes: count each trigram's documents, then fill one array laid out by those counts
    const counts = new Int32Array(ASCII_KEYS);
    const lastDoc = new Int32Array(ASCII_KEYS).fill(-1);
    const other = new Map<string, number[]>();
    for (let doc = 0; doc < count; doc++) {
      if (doc % STEP_DOCS === STEP_DOCS - 1) yield;
      const field = text(doc);
      for (let i = 2; i < field.length; i++) {
        const key = asciiKey(field, i);
        if (key < 0) {
          const trigram = field.slice(i - 2, i + 1);
          const docs = other.get(trigram);
          if (docs === undefined) other.set(trigram, [doc]);
          else if (docs[docs.length - 1] !== doc) docs.push(doc);
        } else if (lastDoc[key] !== doc) {
          lastDoc[key] = doc;
          counts[key]!++;
        }
      }
    }
    const starts = new Int32Array(ASCII_KEYS);
    let total = 0;
    for (let key = 0; key < ASCII_KEYS; key++) {
      if (key % STEP_KEYS === STEP_KEYS - 1) yield;
      starts[key] = total;
      total += counts[key]!;
    }
    const postings = new Int32Array(total);
    const filled = starts.slice();
    lastDoc.fill(-1);
    for (let doc = 0; doc < count; doc++) {
      if (doc % STEP_DOCS === STEP_DOCS - 1) yield;
      const field = text(doc);
      for (let i = 2; i < field.length; i++) {
        const key = asciiKey(field, i);
        if (key < 0 || lastDoc[key] === doc) continue;
        lastDoc[key] = doc;
        postings[filled[key]!++] = doc;
      }
    }
    const ascii = new Map<number, Int32Array>();
    for (let key = 0; key < ASCII_KEYS; key++) {
      if (key % STEP_KEYS === STEP_KEYS - 1) yield;
      if (counts[key]! > 0) ascii.set(key, postings.subarray(starts[key]!, starts[key]! + counts[key]!));
    }
    const otherLists = new Map<string, Int32Array>();
    for (const [key, docs] of other) otherLists.set(key, Int32Array.from(docs));
    return new TrigramIndex(ascii, otherLists);
  }

  /**
   * The documents holding the two rarest trigrams of `term`, ascending: every document
   * whose field contains `term` is among them (for a three-character word they are exactly
   * those). null when `term` is too short to have a trigram.
   */
  candidates(term: string): Int32Array | null {
    if (term.length < 3) return null;
    let rarest: Int32Array | undefined;
    let second: Int32Array | undefined;
    for (let i = 2; i < term.length; i++) {
      const key = asciiKey(term, i);
      const docs = (key < 0 ? this.other.get(term.slice(i - 2, i + 1)) : this.ascii.get(key)) ?? EMPTY;
      if (rarest === undefined || docs.length < rarest.length) {
        second = rarest;
        rarest = docs;
      } else if (docs !== rarest && (second === undefined || docs.length < second.length)) {
        second = docs;
      }
      if (rarest.length === 0) return EMPTY;
    }
    // checking a candidate costs more than stepping over a document in a second list
    return second === undefined || second === rarest ? rarest! : intersect(rarest!, second);
  }
}

/** The numbers in both ascending lists. */
function intersect(a: Int32Array, b: Int32Array): Int32Array {
  const out = new Int32Array(Math.min(a.length, b.length));
  let n = 0;
  let j = 0;
  for (let i = 0; i < a.length && j < b.length; i++) {
    const doc = a[i]!;
    while (j < b.length && b[j]! < doc) j++;
    if (j < b.length && b[j] === doc) out[n++] = doc;
  }
  return out.subarray(0, n);
}

/** The packed key of the trigram ending at `i`, or -1 when a character is not ASCII. */
function asciiKey(text: string, i: number): number {
  const a = text.charCodeAt(i - 2);
  const b = text.charCodeAt(i - 1);
  const c = text.charCodeAt(i);
  return (a | b | c) < 0x80 ? (a << (2 * ASCII_BITS)) | (b << ASCII_BITS) | c : -1;
}
