/**
 * The JSON answers of plain reads, kept by request URL for the index state they were made
 * from. Package metadata is read the same way again and again (every client resolving the
 * same dependencies, CI fleets, the website), and its answer is a pure function of the URL
 * and the served state: a repeated URL is answered with the body it was answered with
 * before, skipping routing, parameter parsing and the package lookups.
 *
 * Entries belong to one state: the first lookup under a new state (after a publish, a yank,
 * a refresh) forgets them all, so no answer outlives the index it came from. Bounded three
 * ways, as nothing here may grow with what clients ask: URLs longer than MAX_URL_LENGTH are
 * never kept, and past MAX_ENTRIES entries or MAX_BYTES of bodies it starts afresh. The
 * bodies are mostly the package cache's own, so the bytes are a ceiling, rarely a cost.
 */
import type { CachedBody } from './cached-body.js';

const MAX_URL_LENGTH = 512;
const MAX_ENTRIES = 8192;
const MAX_BYTES = 32 * 1024 * 1024;

export interface CachedAnswer {
  /** the route pattern, which the metrics label the request with */
  route: string;
  body: CachedBody;
}

export class AnswerCache<State extends object> {
  private readonly entries = new Map<string, CachedAnswer>();
  private state: State | undefined;
  private bytes = 0;

  get(url: string, state: State): CachedAnswer | undefined {
    if (state !== this.state) {
      this.reset(state);
      return undefined;
    }
    return this.entries.get(url);
  }

  /** `state` is the one the answer was made from: an answer of an older state is not kept. */
  remember(url: string, state: State, answer: CachedAnswer): void {
    // two requests for one URL that missed together both arrive here: the first answer stays
    if (state !== this.state || url.length > MAX_URL_LENGTH || this.entries.has(url)) return;
    // both forms may be held: the identity bytes and (at most as large) their gzip
    const size = answer.body.bytes.length * 2;
    // a body too large to keep empties nothing
    if (size > MAX_BYTES) return;
    if (this.entries.size >= MAX_ENTRIES || this.bytes + size > MAX_BYTES) this.reset(state);
    this.entries.set(url, answer);
    this.bytes += size;
  }

  get size(): number {
    return this.entries.size;
  }

  private reset(state: State): void {
    this.entries.clear();
    this.bytes = 0;
    this.state = state;
  }
}
