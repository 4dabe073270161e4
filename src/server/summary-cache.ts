/**
 * The package summaries and scope owners of the last full load, kept in a file beside the
 * clone's git data, so the next start reads from git only the files that changed since.
 * A summary is a function of its file's bytes, and a blob's id names its bytes, so a record
 * is keyed by blob id alone and is right for any commit that has that blob: no history is
 * walked, and a cache from any earlier commit helps in proportion to what did not change.
 *
 * On the 50,000-package bench index a full load spends most of its time scanning every
 * file on the one JavaScript thread (bench/RESULTS.md, issue 17 seventh pass); a start
 * from this file skips that for every unchanged file.
 *
 * What could make a record wrong is other code: a summary made by another version of the
 * scan. The file is stamped with a hash of this program's own modules and the TOML parser's
 * version, and a file with another stamp is not read at all. A record that does not have
 * the shape written here (a damaged or hand-edited file) is a miss: that blob is read from
 * git as if there were no record. The file is only a cache: deleting it costs one slow start.
 */
import { createHash } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { errorMessage } from '../errors.js';
import { processAlive } from '../process-alive.js';
import { moduleFile, MODULE_EXTENSION, MODULE_ROOT } from '../program-files.js';
import { TARGET_KINDS, type PackageName, type ScopeInfo, type TargetKind } from '../index-repo/types.js';
import { detach } from './detach.js';
import { PackageSummary, type SummaryFields } from './package-summary.js';
import { runSliced } from './sliced-work.js';

/** Where a clone's cache lives, inside its git folder (`git rev-parse --absolute-git-dir`). */
export function summaryCacheFile(gitDir: string): string {
  return path.join(gitDir, 'pesde-registry', 'summaries');
}

/** Larger than any index this program serves in its memory limits; a bigger file is not read. */
export const MAX_CACHE_FILE_BYTES = 128 * 1024 * 1024;
const KIND = 'pesde-registry summaries';

/**
 * The cache as one full load uses it: the records of the file as it was, looked up by blob,
 * and the summaries the load ends with, which replace them (write()).
 */
export class SummaryCache {
  /** records asked for and found, and asked for and not found (or not usable) */
  hits = 0;
  misses = 0;
  /** records the load made from blobs it read */
  added = 0;
  /** what the load ends with, from the file or read: the next file's records */
  private readonly packages: PackageSummary[] = [];
  private readonly scopes = new Map<string, ScopeInfo>();

  private constructor(
    readonly file: string,
    /** each record's line, by blob id; a line is parsed only when its blob is asked for */
    private readonly lines: Map<string, string>,
    /** why the file could not be used, for the log; undefined when it was, or when there was none */
    readonly unusable: string | undefined,
  ) {}

  /** The cache in `file`; an empty one when it is missing, from other code, or unreadable. */
  static async read(file: string): Promise<SummaryCache> {
    const empty = (unusable?: string) => new SummaryCache(file, new Map(), unusable);
    let text: string;
    try {
      const handle = await open(file, 'r');
      try {
        const { size } = await handle.stat();
        if (size > MAX_CACHE_FILE_BYTES) return empty(`it is larger than ${MAX_CACHE_FILE_BYTES} bytes`);
        text = await handle.readFile('utf8');
      } finally {
        await handle.close();
      }
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      return empty(code === 'ENOENT' ? undefined : `it cannot be read (${code ?? 'error'})`);
    }
    let expected: string;
    try {
      expected = await cacheFileHeader();
    } catch (error) {
      return empty(`this program's own modules cannot be read to check it (${errorMessage(error)})`);
    }
    const lines = text.split('\n');
    // another program's, or this one's before a change: nothing in it can be trusted
    if (lines[0] !== expected) return empty();
    const byOid = new Map<string, string>();
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!;
      // `["<oid>",...`: the id is read without parsing the record
      const end = line.indexOf('"', 2);
      if (line.startsWith('["') && end > 2) byOid.set(line.slice(2, end), line);
    }
    return new SummaryCache(file, byOid, undefined);
  }

  /** A summary the load made from a blob it read (one the file had no usable record of). */
  keep(summary: PackageSummary): void {
    this.packages.push(summary);
    this.added++;
  }

  keepScope(oid: string, info: ScopeInfo): void {
    this.scopes.set(detach(oid), info);
    this.added++;
  }

  /**
   * Whether the file should be written again: the load made records it did not have, or left
   * some of its records unused. A file that does not parse makes no record: the load reads it
   * and warns about it at every start, and it is no reason to write the cache again.
   */
  get changed(): boolean {
    return this.added > 0 || this.hits < this.lines.size;
  }

  /**
   * Replaces the file with the records of what the load kept, and resolves with how many it
   * wrote. The text is built on the shared queue of sliced work (it runs while the server
   * answers requests), written to a file of its own, flushed and renamed over the old one, so
   * a reader sees the old file or the new one, never a part.
   */
  async write(): Promise<number> {
    const chunks = await runSliced(fileText(await cacheFileHeader(), this.packages, this.scopes));
    await mkdir(path.dirname(this.file), { recursive: true });
    await removeLeftovers(this.file);
    // one name per process: two servers on one clone never write into the same file
    const temporary = `${this.file}.${process.pid}.tmp`;
    try {
      const handle = await open(temporary, 'w');
      try {
        // each from where the one before ended
        for (const chunk of chunks) await handle.writeFile(chunk);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temporary, this.file);
      return this.packages.length + this.scopes.size;
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
  }

  /** The summary of the package file in blob `oid`, when the cache has a usable record of it. */
  packageSummary(name: PackageName, oid: string): PackageSummary | undefined {
    const fields = this.record(oid, readSummaryFields);
    if (fields === undefined) return undefined;
    const summary = PackageSummary.fromFields(name, oid, fields);
    this.packages.push(summary);
    return summary;
  }

  /** The owners of the scope file in blob `oid`, when the cache has a usable record of it. */
  scopeInfo(oid: string): ScopeInfo | undefined {
    const info = this.record(oid, readScopeInfo);
    if (info !== undefined) this.scopes.set(detach(oid), info);
    return info;
  }

  private record<T>(oid: string, read: (record: unknown[]) => T | undefined): T | undefined {
    const line = this.lines.get(oid);
    let value: T | undefined;
    if (line !== undefined) {
      try {
        // an array: only lines that start `["` are kept
        value = read(JSON.parse(line) as unknown[]);
      } catch {
        value = undefined;
      }
    }
    if (value === undefined) this.misses++;
    else this.hits++;
    return value;
  }
}

/**
 * Removes the temporary files of writers that are gone (a server killed mid-write), so
 * crashes leave no files of megabytes behind; a live writer's file is left alone.
 */
async function removeLeftovers(file: string): Promise<void> {
  const prefix = `${path.basename(file)}.`;
  for (const name of await readdir(path.dirname(file))) {
    const pid = name.startsWith(prefix) && name.endsWith('.tmp') ? Number(name.slice(prefix.length, -'.tmp'.length)) : NaN;
    if (Number.isSafeInteger(pid) && pid > 0 && pid !== process.pid && !processAlive(pid)) await rm(path.join(path.dirname(file), name), { force: true });
  }
}

/** Records built per step of fileText: a fraction of a millisecond. */
const LINES_PER_STEP = 256;

/**
 * The file's bytes, a step's records per chunk: joined and encoded in one go, the text of
 * 50,000 records (8.8 MB) held the event loop for 20 ms.
 */
function* fileText(header: string, packages: readonly PackageSummary[], scopes: ReadonlyMap<string, ScopeInfo>): Generator<void, Buffer[]> {
  const chunks: Buffer[] = [];
  let lines = [header];
  const flush = () => {
    chunks.push(Buffer.from(`${lines.join('\n')}\n`, 'utf8'));
    lines = [];
  };
  for (const summary of packages) {
    lines.push(packageLine(summary));
    if (lines.length === LINES_PER_STEP) {
      flush();
      yield;
    }
  }
  for (const [oid, info] of scopes) {
    lines.push(JSON.stringify([oid, info.owners]));
    if (lines.length === LINES_PER_STEP) {
      flush();
      yield;
    }
  }
  if (lines.length > 0) flush();
  return chunks;
}

/** `[oid, versions, deprecated, shown version, shown target, description, published at, shown start, shown end]`, `null` for none. */
function packageLine(summary: PackageSummary): string {
  const shown = summary.shown;
  return JSON.stringify([
    summary.oid,
    summary.versions,
    summary.deprecated ?? null,
    shown?.id.version ?? null,
    shown?.id.target ?? null,
    shown?.description ?? null,
    shown?.publishedAt ?? null,
    summary.shownStart,
    summary.shownEnd,
  ]);
}

const isString = (value: unknown): value is string => typeof value === 'string';
const isCount = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= -1;
// strings from JSON.parse are its own, not views of the line: no detach() needed
const optional = (value: unknown): string | undefined | false => (value === null ? undefined : isString(value) ? value : false);

function readSummaryFields(record: unknown[]): SummaryFields | undefined {
  if (record.length !== 9) return undefined;
  const [, versions, deprecatedValue, version, target, descriptionValue, publishedAt, start, end] = record;
  const deprecated = optional(deprecatedValue);
  const description = optional(descriptionValue);
  if (!isCount(versions) || deprecated === false || description === false || !isCount(start) || !isCount(end)) return undefined;
  if (version === null) return target === null && publishedAt === null ? { deprecated, shown: null, span: null, versions } : undefined;
  if (!isString(version) || !isString(publishedAt) || !TARGET_KINDS.includes(target as TargetKind)) return undefined;
  return {
    deprecated,
    shown: { id: { version, target: target as TargetKind }, description, publishedAt },
    span: start >= 0 && end >= start ? [start, end] : null,
    versions,
  };
}

function readScopeInfo(record: unknown[]): ScopeInfo | undefined {
  if (record.length !== 2 || !Array.isArray(record[1])) return undefined;
  const owners = record[1] as unknown[];
  return owners.every((owner) => Number.isSafeInteger(owner) && (owner as number) >= 0) ? { owners: owners as number[] } : undefined;
}

let stamp: Promise<string> | undefined;

/** The file's first line: what it is, and a hash of the code that made its records. */
export function cacheFileHeader(): Promise<string> {
  stamp ??= codeHash().then((hash) => JSON.stringify({ kind: KIND, code: hash }));
  return stamp;
}

/** The modules whose code makes a record: the summary, the scope file's reading, this file's format. */
const RECORD_MAKERS = ['server/package-summary', 'index-repo/scope-file', 'server/summary-cache'];
/** `from '<relative>'`, `import '<relative>'` and `import('<relative>')` */
const RELATIVE_IMPORT = /(?:\bfrom\s*|\bimport\s*\(?\s*)['"](\.\.?\/[^'"]+)['"]/g;

/**
 * A hash of the modules that make a record and of every module they import, found by
 * following their relative imports in the module tree (run from source, the `.ts` beside
 * each `.js` named; built, tsc's modules, which the bundle the bin runs is made from), and
 * of the TOML parser the full parse falls back to: a change to any of them makes earlier
 * records unusable, with no version number to remember to bump. A maker that cannot be read
 * fails the hash, and with it the cache: a stamp of missing files would match any code.
 */
async function codeHash(): Promise<string> {
  const root = fileURLToPath(MODULE_ROOT);
  const asFile = (from: string, specifier: string) => path.resolve(path.dirname(from), specifier.replace(/\.js$/, MODULE_EXTENSION));
  const makers = RECORD_MAKERS.map((name) => fileURLToPath(moduleFile(name)));
  const pending = [...makers];
  const seen = new Set<string>(pending);
  const hash = createHash('sha256');
  for (let file = pending.shift(); file !== undefined; file = pending.shift()) {
    let code: string;
    try {
      code = await readFile(file, 'utf8');
    } catch (error) {
      if (makers.includes(file)) throw error;
      // a name in a comment, say: hashed as missing, which is as stable as its text
      code = '';
    }
    hash.update(`${path.relative(root, file)}\0${code}\0`);
    for (const [, specifier] of code.matchAll(RELATIVE_IMPORT)) {
      const imported = asFile(file, specifier!);
      if (!seen.has(imported)) {
        seen.add(imported);
        pending.push(imported);
      }
    }
  }
  hash.update(await tomlParserManifest());
  return hash.digest('hex');
}

async function tomlParserManifest(): Promise<string> {
  // the package's entry, then up to the folder with its package.json
  let dir = path.dirname(fileURLToPath(import.meta.resolve('smol-toml')));
  for (let i = 0; i < 4; i++, dir = path.dirname(dir)) {
    try {
      return await readFile(path.join(dir, 'package.json'), 'utf8');
    } catch {
      // not this folder
    }
  }
  return 'smol-toml: no package.json found';
}
