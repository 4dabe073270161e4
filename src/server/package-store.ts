/**
 * Package files on demand. The index state keeps only a summary of each package
 * (package-summary.ts); a request for a package reads its blob by id and parses it here.
 *
 * Trade-off: a package nobody asked for lately costs one blob read and one parse on its
 * next request. The read goes to the local object database through the `git cat-file
 * --batch` process the state already runs (a pipe round trip, no process spawned, nothing
 * fetched). In exchange the server's memory and start-up do not grow with the size of the
 * package files. Parsed packages and the answers rendered from them stay in a cache bounded
 * by bytes (least recently used out first), keyed by package and blob id, so hot packages
 * are answered from memory and a changed file, having a new blob id, is never served stale.
 */
import { parseIndexFile } from '../index-repo/package-file.js';
import { BlobReader } from '../index-repo/tree-reader.js';
import { RegistryError, errorMessage } from '../errors.js';
import { ByteLru } from './byte-lru.js';
import { HttpError } from './http-error.js';
import { INLINE_MAX_CHARS, MAX_PACKAGE_FILE_BYTES, parsePackageFileToServe, UnreadablePackageFile, type ServedPackageFile } from './package-parser.js';
import { toJson } from './json.js';
import { PackageRecord } from './package-record.js';
import { runSliced } from './sliced-work.js';
import { versionView } from './package-view.js';
import type { PackageSummary } from './package-summary.js';

export const DEFAULT_PACKAGE_CACHE_BYTES = 64 * 1024 * 1024;

/** Parsed files take about this many times their text in memory (measured on the public index). */
const PARSED_BYTES_PER_CHAR = 4;

export interface PackageStoreOptions {
  /** memory for parsed packages and rendered answers */
  cacheBytes?: number;
  /** told once about each blob that does not parse; its package is then answered as absent */
  warn?: (message: string) => void;
  /** the first reader's git is spawned by this process, not the spawner (the full load at start: see GitSpawnOptions.direct) */
  directFirstReader?: boolean;
}

/** A parsed package, or null for a blob that does not parse; keyed by blob id. */
interface RecordSlot {
  oid: string;
  record: PackageRecord | null;
  /** why a file that may be valid is not served (too large, too slow to parse) */
  refusal?: string;
}

/** The JSON search shows for a package: its shown version's answer. */
interface SearchSlot {
  oid: string;
  json: string | null;
}

export class PackageStore {
  readonly dir: string;
  private reader: BlobReader | undefined;
  /** whether the next reader opened is spawned directly (see PackageStoreOptions.directFirstReader) */
  private directReader: boolean;
  private readonly records: ByteLru<RecordSlot>;
  private readonly searchItems: ByteLru<SearchSlot>;
  /** parses under way, so many requests for one cold package cost one read and one parse */
  private readonly loading = new Map<string, Promise<PackageRecord | null>>();
  private readonly warn: (message: string) => void;
  private closed = false;

  constructor(dir: string, opts: PackageStoreOptions = {}) {
    this.dir = dir;
    const bytes = opts.cacheBytes ?? DEFAULT_PACKAGE_CACHE_BYTES;
    // search results are small and wanted 50 at a time: a share of their own keeps a burst of
    // package requests from evicting them all, and the other way round
    this.records = new ByteLru(Math.floor(bytes * 0.75));
    this.searchItems = new ByteLru(Math.floor(bytes * 0.25));
    this.warn = opts.warn ?? ignore;
    this.directReader = opts.directFirstReader ?? false;
  }

  private openReader(): BlobReader {
    const direct = this.directReader;
    // a reader opened later replaces one that died, in a process that has since grown
    this.directReader = false;
    return BlobReader.open(this.dir, { direct });
  }

  /** A blob (`<oid>` or `<commit>:<path>`), through the long-lived reader; null when missing. */
  read(spec: string): Promise<Buffer | null> {
    return this.withReader((reader) => reader.read(spec));
  }

  /** Any object by name (`<commit>:<path>` for the file at a path), with its id and type; null when missing. */
  readObject(spec: string): Promise<{ oid: string; type: string; body: Buffer } | null> {
    return this.withReader((reader) => reader.readObject(spec));
  }

  private async withReader<T>(use: (reader: BlobReader) => Promise<T>): Promise<T> {
    if (this.closed) throw new RegistryError('git', 'the index state has been closed');
    if (this.reader === undefined || !this.reader.usable) this.reader = this.openReader();
    const reader = this.reader;
    try {
      return await use(reader);
    } catch (error) {
      // a reader that died (killed, or git updated under it) is replaced once, then it is an error
      if (reader.usable || this.closed) throw error;
      if (this.reader === reader) this.reader = this.openReader();
      return use(this.reader);
    }
  }

  /** Many blobs in order, each handed over as it arrives (a view, valid during the call only). */
  readEach(specs: readonly string[], each: (index: number, blob: Buffer | null) => void): Promise<void> {
    if (this.closed) return Promise.reject(new RegistryError('git', 'the index state has been closed'));
    if (this.reader === undefined || !this.reader.usable) this.reader = this.openReader();
    return this.reader.readEach(specs, each);
  }

  /** Lookups and memory of both caches, for the metrics. */
  cacheStats(): { hits: number; misses: number; bytes: number } {
    return {
      hits: this.records.hits + this.searchItems.hits,
      misses: this.records.misses + this.searchItems.misses,
      bytes: this.records.bytes + this.searchItems.bytes,
    };
  }

  /**
   * The parsed package when it is in memory: no read, no promise. Throws a 500 naming the
   * reason for a file the server does not read (too large, or too slow to parse).
   */
  cached(summary: PackageSummary): PackageRecord | null | undefined {
    const slot = this.records.get(summary.full);
    if (slot === undefined || slot.oid !== summary.oid) return undefined;
    if (slot.refusal !== undefined) throw new HttpError(500, slot.refusal);
    return slot.record;
  }

  /** The parsed package; null when its file does not parse (it was reported once). */
  record(summary: PackageSummary): Promise<PackageRecord | null> {
    return this.recordOnce(summary, undefined);
  }

  /** Like record, for a blob the caller has already read (a lookup by path): nothing more is read. */
  recordOf(summary: PackageSummary, blob: Buffer): Promise<PackageRecord | null> {
    return this.recordOnce(summary, blob);
  }

  private recordOnce(summary: PackageSummary, blob: Buffer | undefined): Promise<PackageRecord | null> {
    let cached: PackageRecord | null | undefined;
    try {
      cached = this.cached(summary);
    } catch (error) {
      return Promise.reject(error);
    }
    if (cached !== undefined) return Promise.resolve(cached);
    const key = `${summary.full}\n${summary.oid}`;
    let loading = this.loading.get(key);
    if (loading === undefined) {
      loading = this.parse(summary, blob).finally(() => this.loading.delete(key));
      this.loading.set(key, loading);
    }
    return loading;
  }

  /** Keeps a package parsed elsewhere (a refresh parses what changed), as a request would. */
  adopt(summary: PackageSummary, text: string, build: (grew: (bytes: number) => void) => PackageRecord): PackageRecord {
    const slot: RecordSlot = { oid: summary.oid, record: null };
    slot.record = build((bytes) => this.records.grow(summary.full, slot, bytes));
    this.records.set(summary.full, slot, text.length * PARSED_BYTES_PER_CHAR);
    return slot.record;
  }

  /**
   * The JSON of each package's shown version (what a search result lists), in order; null
   * for one whose file does not parse. Cold ones are read together and parsed only as far
   * as their shown version's entries when the summary knows where those are: one at a time,
   * in steps that share the event loop (sliced-work.ts), since fifty of them in one go
   * would hold it for tens of ms. The rest are parsed whole, as a request for them would.
   */
  async searchJson(summaries: readonly PackageSummary[]): Promise<Array<string | null>> {
    const out: Array<string | null | undefined> = summaries.map((s) => this.cachedSearchJson(s));
    const cold = summaries.map((s, i) => (out[i] === undefined ? i : -1)).filter((i) => i >= 0);
    if (cold.length === 0) return out as Array<string | null>;
    const sections: Array<{ i: number; text: string }> = [];
    const whole: number[] = [];
    await this.readEach(
      cold.map((i) => summaries[i]!.oid),
      (k, blob) => {
        const i = cold[k]!;
        const summary = summaries[i]!;
        if (blob === null) throw missingBlob(summary);
        // `blob` is valid during this call only: the section is copied out
        if (summary.shown !== null && summary.shownStart >= 0 && summary.shownEnd - summary.shownStart <= INLINE_MAX_CHARS) {
          sections.push({ i, text: blob.toString('utf8', summary.shownStart, summary.shownEnd) });
        } else {
          whole.push(i);
        }
      },
    );
    const rendered = await runSliced(renderSections(sections.map(({ i, text }) => ({ summary: summaries[i]!, text }))));
    sections.forEach(({ i }, k) => {
      const json = rendered[k];
      if (json === undefined) {
        whole.push(i);
        return;
      }
      this.searchItems.set(summaries[i]!.full, { oid: summaries[i]!.oid, json }, 64 + json.length);
      out[i] = json;
    });
    for (const i of whole) {
      const summary = summaries[i]!;
      // another page may have rendered it meanwhile
      let json = this.cachedSearchJson(summary);
      if (json === undefined) {
        const record = await this.record(summary).catch(() => null);
        json = record?.searchable ? record.versionText(record.searchable) : null;
        this.searchItems.set(summary.full, { oid: summary.oid, json }, 64 + (json?.length ?? 0));
      }
      out[i] = json;
    }
    return out as Array<string | null>;
  }

  /** Ends the cat-file process; reads after this fail. */
  close(): void {
    this.closed = true;
    this.reader?.close();
    this.reader = undefined;
  }

  private cachedSearchJson(summary: PackageSummary): string | null | undefined {
    const slot = this.searchItems.get(summary.full);
    if (slot !== undefined && slot.oid === summary.oid) return slot.json;
    const recordSlot = this.records.get(summary.full);
    // a file the server does not read is left off search pages
    if (recordSlot?.oid === summary.oid && recordSlot.refusal !== undefined) return null;
    const record = this.cached(summary);
    if (record === undefined) return undefined;
    return record?.searchable ? record.versionText(record.searchable) : null;
  }

  /** Reads and parses a whole file and caches the outcome: a file that does not parse, or that the server does not read, is reported once. */
  private async parse(summary: PackageSummary, read: Buffer | undefined): Promise<PackageRecord | null> {
    const blob = read ?? (await this.read(summary.oid));
    if (blob === null) throw missingBlob(summary);
    const where = `${summary.scope}/${summary.name}`;
    if (blob.length > MAX_PACKAGE_FILE_BYTES) {
      this.refuse(summary, `the index file of ${summary.full} is ${blob.length} bytes, more than the ${MAX_PACKAGE_FILE_BYTES} this server reads`);
    }
    const text = blob.toString('utf8');
    let parsed: ServedPackageFile;
    try {
      parsed = await parsePackageFileToServe(text, where, summary);
    } catch (error) {
      if (error instanceof UnreadablePackageFile) this.refuse(summary, `the index file of ${summary.full} is not served: ${error.message}`);
      this.unparsable(summary, error);
      return null;
    }
    // another request may have parsed it meanwhile
    const cached = this.cached(summary);
    if (cached !== undefined) return cached;
    if (parsed.versions !== undefined) {
      // the copy of a large file from the worker took a turn of its own; building the record takes another
      await new Promise((resolve) => setImmediate(resolve));
      const again = this.cached(summary);
      if (again !== undefined) return again;
    }
    return this.adopt(summary, text, (grew) => new PackageRecord(summary, parsed.file, grew, parsed.versions, parsed.layout));
  }

  private unparsable(summary: PackageSummary, error: unknown): void {
    this.warn(`skipping ${summary.full}: ${errorMessage(error)}`);
    this.records.set(summary.full, { oid: summary.oid, record: null }, 64);
  }

  /** Remembers, reports and throws (as a 500 with the reason) that a file is not served. */
  private refuse(summary: PackageSummary, reason: string): never {
    this.warn(reason);
    this.records.set(summary.full, { oid: summary.oid, record: null, refusal: reason }, 64 + reason.length);
    throw new HttpError(500, reason);
  }
}

const ignore = (): void => undefined;

/**
 * The search JSON of each package from the text of its shown version's sections, a step a
 * package; undefined where the sections alone do not give it (the whole file then decides,
 * and reports any problem where it is).
 */
function* renderSections(items: ReadonlyArray<{ summary: PackageSummary; text: string }>): Generator<void, Array<string | undefined>> {
  const out: Array<string | undefined> = [];
  for (const { summary, text } of items) {
    out.push(sectionJson(summary, text));
    yield;
  }
  return out;
}

function sectionJson(summary: PackageSummary, text: string): string | undefined {
  const shown = summary.shown!;
  try {
    // the shown version's entries are all a search result shows (deprecated aside, which the summary has)
    const file = parseIndexFile(text, summary.full);
    const item = file.entries.find((e) => e.id.version === shown.id.version && e.id.target === shown.id.target);
    return item === undefined ? undefined : toJson(versionView(summary.full, { entries: [], deprecated: summary.deprecated }, item, file.entries));
  } catch {
    return undefined;
  }
}

function missingBlob(summary: PackageSummary): Error {
  return new RegistryError('git', `the file of ${summary.full} (blob ${summary.oid}) is missing from the index repository`);
}
