import { finished } from 'node:stream';
import { git, gitEnv, tryGit } from './git.js';
import { setGitReferenced, spawnGit, type GitChild } from './git-spawner.js';
import { matchesAt } from '../byte-ranges.js';
import { RegistryError } from '../errors.js';

interface PendingRead {
  /** whether the answer is kept by its receiver (a copy) or used during the call only (a view) */
  keep: boolean;
  /** any object type is answered, not only blobs */
  anyType?: boolean;
  /** the blob (any object with `anyType`), null when missing or not a blob */
  answer: (blob: Buffer | null, object?: { oid: string; type: string }) => void;
  reject: (error: Error) => void;
}

/** Requests a streaming read keeps outstanding: enough to keep git busy, few enough to keep memory flat. */
const STREAM_WINDOW = 1024;

/**
 * Reads blobs through one long-lived `git cat-file --batch`, so loading thousands of index
 * files costs one process, not one per file, and a server can keep one open to read files
 * on demand. Requests are answered in order, which is what lets a simple queue match
 * answers to callers.
 */
export class BlobReader {
  private readonly queue: PendingRead[] = [];
  /**
   * Entries before `head` are answered. Array.shift() would copy the rest of the queue on
   * every answer, which is quadratic when a full load has 50,000 reads in flight.
   */
  private head = 0;
  /**
   * Answer bytes received and not yet consumed, in arrival order; the first `offset` bytes
   * of the first chunk are consumed. An offset rather than a view of what is left: a full
   * load consumes three pieces of every answer, and each view is an object to collect.
   */
  private chunks: Buffer[] = [];
  private offset = 0;
  private buffered = 0;
  /** the size of the answer being received (its header is read, its body and newline awaited); -1 between answers */
  private bodySize = -1;
  /** whether that answer is a blob, and its id and type when its receiver wants them */
  private bodyIsBlob = false;
  private bodyObject: { oid: string; type: string } | undefined;
  /** names written in one go at the end of the tick: one pipe write per burst of reads, not per read */
  private unwritten: string[] = [];
  private closed = false;
  private referenced = true;

  private constructor(private readonly proc: GitChild) {
    proc.stdout.on('data', (chunk: Buffer) => {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
      this.drain();
    });
    const fail = (error: Error) => {
      this.closed = true;
      this.discard();
      const waiting = this.queue.splice(this.head);
      this.queue.length = 0;
      this.head = 0;
      for (const pending of waiting) pending.reject(error);
    };
    proc.on('error', (error) => fail(new RegistryError('git', `git cat-file failed: ${error.message}`)));
    // 'exit' may come before the last answers git wrote are read from the pipe (a reader closed
    // with reads owed): those are handed over first, and only what is still owed then fails
    proc.on('exit', () => finished(proc.stdout, () => fail(new RegistryError('git', 'git cat-file exited unexpectedly'))));
    proc.stdin.on('error', () => {
      // the exit handler reports the failure; an EPIPE here carries no more information
    });
    this.setReferenced(false);
  }

  /** `direct`: see GitSpawnOptions */
  static open(dir: string, opts: { direct?: boolean } = {}): BlobReader {
    const proc = spawnGit(dir, ['cat-file', '--batch'], { env: { ...process.env, ...gitEnv() }, direct: opts.direct ?? false });
    return new BlobReader(proc);
  }

  /** false once closed or once the process has died: a long-lived owner opens a new one */
  get usable(): boolean {
    return !this.closed;
  }

  /** Why these requests cannot be sent: a closed reader, or a name whose newline would end the request early. */
  private refusal(specs: readonly string[]): RegistryError | undefined {
    if (this.closed) return new RegistryError('git', 'blob reader is closed');
    if (specs.some((spec) => spec.includes('\n'))) return new RegistryError('git', 'invalid object name');
    return undefined;
  }

  /** `spec` is anything cat-file accepts: `<commit>:<path>` or an object id. null when missing. */
  read(spec: string): Promise<Buffer | null> {
    const refused = this.refusal([spec]);
    if (refused !== undefined) return Promise.reject(refused);
    return new Promise((resolve, reject) => this.request(spec, { keep: true, answer: resolve, reject }));
  }

  /**
   * Many blobs, in order, without holding them: `each` gets every one as it arrives (null
   * when missing), as a view that is only valid during the call, and no more than a window
   * of requests is outstanding, so memory stays flat however many are asked for. Resolves
   * once all are answered; rejects with the first error, `each`'s own included.
   */
  readEach(specs: readonly string[], each: (index: number, blob: Buffer | null) => void): Promise<void> {
    const refused = this.refusal(specs);
    if (refused !== undefined) return Promise.reject(refused);
    if (specs.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      let sent = 0;
      let answered = 0;
      let failure: Error | undefined;
      const fail = (error: Error) => {
        failure ??= error;
      };
      // One receiver for every request of the call, not one each (50,000 at start-up): this
      // call's answers arrive in the order it asked, whatever else is queued between them.
      const pending: PendingRead = {
        keep: false,
        answer: (blob) => {
          const index = answered++;
          if (failure === undefined) {
            try {
              each(index, blob);
            } catch (error) {
              fail(error instanceof Error ? error : new Error(String(error)));
            }
          }
          if (answered === specs.length) {
            if (failure === undefined) resolve();
            else reject(failure);
          } else if (failure === undefined && !this.closed && sent - answered <= STREAM_WINDOW / 2) {
            send();
          } else if (failure !== undefined && answered === sent) {
            reject(failure);
          }
        },
        reject: (error) => {
          answered++;
          fail(error);
          if (answered === sent) reject(failure);
        },
      };
      const send = () => {
        const until = Math.min(specs.length, answered + STREAM_WINDOW);
        for (; sent < until; sent++) this.request(specs[sent]!, pending);
      };
      send();
    });
  }

  private request(spec: string, pending: PendingRead): void {
    this.queue.push(pending);
    this.setReferenced(true);
    if (this.unwritten.push(spec) === 1) process.nextTick(() => this.writeRequests());
  }

  /**
   * Any object with its id and type (`<commit>:<folder>` names a tree, `<ref>^{commit}` a
   * commit), null when missing. A ref is resolved when the request reaches git, so a caller
   * that must read one consistent commit resolves the ref once and reads by the id it got.
   */
  readObject(spec: string): Promise<{ oid: string; type: string; body: Buffer } | null> {
    const refused = this.refusal([spec]);
    if (refused !== undefined) return Promise.reject(refused);
    return new Promise((resolve, reject) =>
      this.request(spec, { keep: true, anyType: true, answer: (body, object) => resolve(body === null || object === undefined ? null : { ...object, body }), reject }),
    );
  }

  /**
   * What `resolveRef` answers, asked of this process instead of a new one: cat-file looks
   * refs up as each request arrives (loose and packed), so the answer is as fresh.
   */
  async resolveCommit(ref: string): Promise<string | null> {
    const object = await this.readObject(`${ref}^{commit}`);
    return object?.type === 'commit' ? object.oid : null;
  }

  async readText(spec: string): Promise<string | null> {
    const blob = await this.read(spec);
    return blob === null ? null : blob.toString('utf8');
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.writeRequests();
    this.proc.stdin.end();
    // answers still owed keep the process alive until they arrive
    if (this.head === this.queue.length) this.setReferenced(false);
  }

  private writeRequests(): void {
    if (this.unwritten.length === 0) return;
    const text = `${this.unwritten.join('\n')}\n`;
    this.unwritten = [];
    if (this.proc.stdin.writable) this.proc.stdin.write(text);
  }

  /**
   * An idle reader must not keep the process alive (a server's reader lives as long as its
   * index state, and a state nobody closes is common in tests and scripts); one with reads
   * in flight must, or an await on a read could outlive the event loop.
   */
  private setReferenced(referenced: boolean): void {
    if (this.referenced === referenced) return;
    this.referenced = referenced;
    setGitReferenced(this.proc, referenced);
  }

  /**
   * The first `length` buffered bytes, consumed. `copy` when the caller keeps them: a view
   * would pin the whole chunk they arrived in.
   */
  private take(length: number, copy: boolean): Buffer {
    const first = this.chunks[0]!;
    if (first.length - this.offset >= length) {
      const view = first.subarray(this.offset, this.offset + length);
      this.skip(length);
      return copy ? Buffer.from(view) : view;
    }
    const out = Buffer.allocUnsafe(length);
    let filled = 0;
    while (filled < length) {
      const chunk = this.chunks[0]!;
      const used = Math.min(chunk.length - this.offset, length - filled);
      chunk.copy(out, filled, this.offset, this.offset + used);
      filled += used;
      this.skip(used);
    }
    return out;
  }

  /** Consumes `length` buffered bytes. */
  private skip(length: number): void {
    this.buffered -= length;
    let left = length;
    while (left > 0) {
      const rest = this.chunks[0]!.length - this.offset;
      if (rest > left) {
        this.offset += left;
        return;
      }
      left -= rest;
      this.chunks.shift();
      this.offset = 0;
    }
  }

  private discard(): void {
    this.chunks = [];
    this.offset = 0;
    this.buffered = 0;
    this.bodySize = -1;
  }

  /** How far into the buffered bytes the first newline is, or -1. */
  private newlineAt(): number {
    let skipped = 0;
    let from = this.offset;
    for (const chunk of this.chunks) {
      const at = chunk.indexOf(10, from);
      if (at >= 0) return skipped + at - from;
      skipped += chunk.length - from;
      from = 0;
    }
    return -1;
  }

  private drain(): void {
    for (;;) {
      const pending = this.queue[this.head];
      if (pending === undefined) return;
      if (this.bodySize < 0) {
        const newline = this.newlineAt();
        if (newline < 0) return;
        // `<oid> <type> <size>`, or `<name> missing` (or `ambiguous`); read in place when it
        // lies in one chunk, as it nearly always does
        const inPlace = this.chunks[0]!.length - this.offset > newline;
        const bytes = inPlace ? this.chunks[0]! : this.take(newline, false);
        const start = inPlace ? this.offset : 0;
        const end = start + newline;
        const size = headerSize(bytes, start, end);
        if (size >= 0) {
          this.bodySize = size;
          this.bodyIsBlob = headerIsBlob(bytes, start, end);
          this.bodyObject = pending.anyType === true ? headerObject(bytes, start, end) : undefined;
        }
        const text = size === HEADER_UNEXPECTED ? bytes.toString('utf8', start, end) : '';
        if (inPlace) this.skip(newline + 1);
        else this.skip(1);
        if (size === HEADER_MISSING) {
          this.answered();
          pending.answer(null);
          continue;
        }
        if (size === HEADER_UNEXPECTED) {
          this.answered();
          this.discard();
          pending.reject(new RegistryError('git', `unexpected git cat-file answer: ${text}`));
          continue;
        }
      }
      const size = this.bodySize;
      if (this.buffered < size + 1) return;
      const body = this.take(size, pending.keep);
      this.skip(1);
      this.bodySize = -1;
      const object = this.bodyObject;
      this.bodyObject = undefined;
      this.answered();
      pending.answer(this.bodyIsBlob || pending.anyType === true ? body : null, object);
    }
  }

  private answered(): void {
    this.head++;
    // compacting once half is spent keeps both the copying and the memory linear
    if (this.head === this.queue.length || (this.head >= 1024 && this.head * 2 >= this.queue.length)) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    if (this.queue.length === this.head) this.setReferenced(false);
  }
}

const MISSING = Buffer.from(' missing', 'latin1');
const AMBIGUOUS = Buffer.from(' ambiguous', 'latin1');
const BLOB = Buffer.from('blob', 'latin1');
/** more digits than a safe integer has are not a size */
const MAX_SIZE_DIGITS = 15;
export const HEADER_MISSING = -1;
export const HEADER_UNEXPECTED = -2;

/**
 * The size an answer's header `<oid> <type> <size>` (bytes [start, end), no newline) gives,
 * read from its bytes: a full load reads 50,000 headers, and the strings cut out of each
 * were most of the reader's garbage. HEADER_MISSING for `<name> missing` (or `ambiguous`),
 * HEADER_UNEXPECTED for anything else.
 */
export function headerSize(bytes: Buffer, start: number, end: number): number {
  if (endsWith(bytes, start, end, MISSING) || endsWith(bytes, start, end, AMBIGUOUS)) return HEADER_MISSING;
  const sizeStart = lastSpace(bytes, start, end) + 1;
  if (sizeStart <= start || sizeStart === end || end - sizeStart > MAX_SIZE_DIGITS || lastSpace(bytes, start, sizeStart - 1) < start) return HEADER_UNEXPECTED;
  let size = 0;
  for (let i = sizeStart; i < end; i++) {
    const digit = bytes[i]! - 0x30;
    if (digit < 0 || digit > 9) return HEADER_UNEXPECTED;
    size = size * 10 + digit;
  }
  return size;
}

/** The header's id and type (of a header headerSize accepted). */
function headerObject(bytes: Buffer, start: number, end: number): { oid: string; type: string } {
  const typeEnd = lastSpace(bytes, start, end);
  const typeStart = lastSpace(bytes, start, typeEnd) + 1;
  return { oid: bytes.toString('latin1', start, typeStart - 1), type: bytes.toString('latin1', typeStart, typeEnd) };
}

/** Whether the type in a header headerSize accepted is `blob`. */
function headerIsBlob(bytes: Buffer, start: number, end: number): boolean {
  const typeEnd = lastSpace(bytes, start, end);
  const typeStart = typeEnd - BLOB.length;
  return typeStart > start && bytes[typeStart - 1] === 0x20 && matchesAt(bytes, typeStart, BLOB);
}

/** Where the last space in [start, end) is, or start - 1. */
function lastSpace(bytes: Buffer, start: number, end: number): number {
  let i = end - 1;
  while (i >= start && bytes[i] !== 0x20) i--;
  return i;
}

function endsWith(bytes: Buffer, start: number, end: number, suffix: Buffer): boolean {
  return end - start >= suffix.length && matchesAt(bytes, end - suffix.length, suffix);
}

export interface TreeFile {
  path: string;
  oid: string;
}

export async function listTree(dir: string, commit: string): Promise<TreeFile[]> {
  const out = await git(dir, ['ls-tree', '-r', '-z', '--full-tree', commit]);
  const files: TreeFile[] = [];
  for (const record of out.split('\0')) {
    if (record.length === 0) continue;
    const tab = record.indexOf('\t');
    const [, type, oid] = record.slice(0, tab).split(' ');
    if (type === 'blob' && oid !== undefined) files.push({ path: record.slice(tab + 1), oid });
  }
  return files;
}

export interface ChangedFile {
  path: string;
  /** the blob at the newer commit; null when the path was deleted */
  oid: string | null;
}

/**
 * Files that differ between two commits (added, changed or deleted), with their new blob
 * ids, so a reader can fetch them by id and a caller can key what it derives by id.
 */
export async function changedFiles(dir: string, from: string, to: string): Promise<ChangedFile[]> {
  const out = await git(dir, ['diff-tree', '-r', '-z', '--no-renames', from, to]);
  const fields = out.split('\0');
  const files: ChangedFile[] = [];
  // each change is `:<old mode> <new mode> <old id> <new id> <status>` then the path
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const [, , , oid, status] = fields[i]!.split(' ');
    files.push({ path: fields[i + 1]!, oid: status === 'D' || oid === undefined ? null : oid });
  }
  return files;
}

/** Paths that differ between two commits (added, changed or deleted). */
export async function changedPaths(dir: string, from: string, to: string): Promise<string[]> {
  const out = await git(dir, ['diff-tree', '-r', '-z', '--name-only', '--no-renames', from, to]);
  return out.split('\0').filter((p) => p.length > 0);
}

export async function resolveRef(dir: string, ref: string): Promise<string | null> {
  const result = await tryGit(dir, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
  return result.exitCode === 0 ? result.stdout.trim() : null;
}
