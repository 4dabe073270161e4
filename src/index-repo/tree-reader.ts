import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { git, gitEnv, tryGit } from './git.js';
import { RegistryError } from '../errors.js';

/** Child processes and their pipes: whether they keep the event loop alive. */
interface Refable {
  ref(): void;
  unref(): void;
}

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
  /** answer bytes received and not yet consumed, in arrival order */
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** the answer being received: its header is read, its body (and newline) awaited */
  private current: { size: number; oid: string; type: string } | null = null;
  /** names written in one go at the end of the tick: one pipe write per burst of reads, not per read */
  private unwritten: string[] = [];
  private closed = false;
  private referenced = true;

  private constructor(private readonly proc: ChildProcessWithoutNullStreams) {
    proc.stdout.on('data', (chunk: Buffer) => {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
      this.drain();
    });
    const fail = (error: Error) => {
      this.closed = true;
      const waiting = this.queue.splice(this.head);
      this.queue.length = 0;
      this.head = 0;
      for (const pending of waiting) pending.reject(error);
    };
    proc.on('error', (error) => fail(new RegistryError('git', `git cat-file failed: ${error.message}`)));
    proc.on('exit', () => fail(new RegistryError('git', 'git cat-file exited unexpectedly')));
    proc.stdin.on('error', () => {
      // the exit handler reports the failure; an EPIPE here carries no more information
    });
    this.setReferenced(false);
  }

  static open(dir: string): BlobReader {
    const proc = spawn('git', ['cat-file', '--batch'], { cwd: dir, env: { ...process.env, ...gitEnv() } });
    return new BlobReader(proc);
  }

  /** false once closed or once the process has died: a long-lived owner opens a new one */
  get usable(): boolean {
    return !this.closed;
  }

  /** `spec` is anything cat-file accepts: `<commit>:<path>` or an object id. null when missing. */
  read(spec: string): Promise<Buffer | null> {
    if (this.closed) return Promise.reject(new RegistryError('git', 'blob reader is closed'));
    if (spec.includes('\n')) return Promise.reject(new RegistryError('git', 'invalid object name'));
    return new Promise((resolve, reject) => this.request(spec, { keep: true, answer: resolve, reject }));
  }

  /**
   * Many blobs, in order, without holding them: `each` gets every one as it arrives (null
   * when missing), as a view that is only valid during the call, and no more than a window
   * of requests is outstanding, so memory stays flat however many are asked for. Resolves
   * once all are answered; rejects with the first error, `each`'s own included.
   */
  readEach(specs: readonly string[], each: (index: number, blob: Buffer | null) => void): Promise<void> {
    if (this.closed) return Promise.reject(new RegistryError('git', 'blob reader is closed'));
    if (specs.some((spec) => spec.includes('\n'))) return Promise.reject(new RegistryError('git', 'invalid object name'));
    if (specs.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      let sent = 0;
      let answered = 0;
      let failure: Error | undefined;
      const fail = (error: Error) => {
        failure ??= error;
      };
      const send = () => {
        const until = Math.min(specs.length, answered + STREAM_WINDOW);
        for (; sent < until; sent++) {
          const index = sent;
          this.request(specs[index]!, {
            keep: false,
            answer: (blob) => {
              answered++;
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
          });
        }
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
    if (this.closed) return Promise.reject(new RegistryError('git', 'blob reader is closed'));
    if (spec.includes('\n')) return Promise.reject(new RegistryError('git', 'invalid object name'));
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
    for (const handle of [this.proc, this.proc.stdin, this.proc.stdout, this.proc.stderr] as unknown as Refable[]) {
      if (referenced) handle.ref();
      else handle.unref();
    }
  }

  /**
   * The first `length` buffered bytes, consumed. `copy` when the caller keeps them: a view
   * would pin the whole chunk they arrived in.
   */
  private take(length: number, copy: boolean): Buffer {
    this.buffered -= length;
    const first = this.chunks[0]!;
    if (first.length >= length) {
      const view = first.subarray(0, length);
      if (first.length === length) this.chunks.shift();
      else this.chunks[0] = first.subarray(length);
      return copy ? Buffer.from(view) : view;
    }
    const out = Buffer.allocUnsafe(length);
    let filled = 0;
    while (filled < length) {
      const chunk = this.chunks[0]!;
      const used = Math.min(chunk.length, length - filled);
      chunk.copy(out, filled, 0, used);
      filled += used;
      if (used === chunk.length) this.chunks.shift();
      else this.chunks[0] = chunk.subarray(used);
    }
    return out;
  }

  /** Where the first newline is in the buffered bytes, or -1. */
  private newlineAt(): number {
    let offset = 0;
    for (const chunk of this.chunks) {
      const at = chunk.indexOf(10);
      if (at >= 0) return offset + at;
      offset += chunk.length;
    }
    return -1;
  }

  private drain(): void {
    for (;;) {
      const pending = this.queue[this.head];
      if (pending === undefined) return;
      if (this.current === null) {
        const newline = this.newlineAt();
        if (newline < 0) return;
        const header = this.take(newline + 1, false).toString('utf8', 0, newline);
        if (header.endsWith(' missing') || header.endsWith(' ambiguous')) {
          this.answered();
          pending.answer(null);
          continue;
        }
        const [oid = '', type = '', sizeText] = header.split(' ');
        const size = Number(sizeText);
        if (!Number.isSafeInteger(size)) {
          this.answered();
          pending.reject(new RegistryError('git', `unexpected git cat-file answer: ${header}`));
          this.chunks = [];
          this.buffered = 0;
          continue;
        }
        this.current = { size, oid, type };
      }
      const { size, oid, type } = this.current;
      if (this.buffered < size + 1) return;
      const body = this.take(size, pending.keep);
      this.take(1, false);
      this.current = null;
      this.answered();
      pending.answer(type === 'blob' || pending.anyType === true ? body : null, { oid, type });
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
