import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { git, gitEnv, tryGit } from './git.js';
import { RegistryError } from '../errors.js';

interface PendingRead {
  resolve: (value: Buffer | null) => void;
  reject: (error: Error) => void;
}

/**
 * Reads blobs through one long-lived `git cat-file --batch`, so loading thousands of index
 * files costs one process, not one per file. Requests are answered in order, which is what
 * lets a simple queue match answers to callers.
 */
export class BlobReader {
  private readonly queue: PendingRead[] = [];
  /**
   * Entries before `head` are answered. Array.shift() would copy the rest of the queue on
   * every answer, which is quadratic when a full load has 50,000 reads in flight.
   */
  private head = 0;
  private buffer: Buffer = Buffer.alloc(0);
  private closed = false;

  private constructor(private readonly proc: ChildProcessWithoutNullStreams) {
    proc.stdout.on('data', (chunk: Buffer) => {
      this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
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
  }

  static open(dir: string): BlobReader {
    const proc = spawn('git', ['cat-file', '--batch'], { cwd: dir, env: { ...process.env, ...gitEnv() } });
    return new BlobReader(proc);
  }

  /** `spec` is anything cat-file accepts: `<commit>:<path>` or an object id. null when missing. */
  read(spec: string): Promise<Buffer | null> {
    if (this.closed) return Promise.reject(new RegistryError('git', 'blob reader is closed'));
    if (spec.includes('\n')) return Promise.reject(new RegistryError('git', 'invalid object name'));
    return new Promise((resolve, reject) => {
      this.queue.push({ resolve, reject });
      this.proc.stdin.write(`${spec}\n`);
    });
  }

  async readText(spec: string): Promise<string | null> {
    const blob = await this.read(spec);
    return blob === null ? null : blob.toString('utf8');
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.proc.stdin.end();
  }

  private drain(): void {
    for (;;) {
      const pending = this.queue[this.head];
      if (pending === undefined) return;
      const newline = this.buffer.indexOf(10);
      if (newline < 0) return;
      const header = this.buffer.subarray(0, newline).toString('utf8');
      if (header.endsWith(' missing') || header.endsWith(' ambiguous')) {
        this.buffer = this.buffer.subarray(newline + 1);
        this.answered();
        pending.resolve(null);
        continue;
      }
      const size = Number(header.split(' ')[2]);
      if (!Number.isSafeInteger(size)) {
        this.answered();
        pending.reject(new RegistryError('git', `unexpected git cat-file answer: ${header}`));
        this.buffer = Buffer.alloc(0);
        continue;
      }
      const end = newline + 1 + size;
      if (this.buffer.length < end + 1) return;
      const body = Buffer.from(this.buffer.subarray(newline + 1, end));
      this.buffer = this.buffer.subarray(end + 1);
      this.answered();
      pending.resolve(header.split(' ')[1] === 'blob' ? body : null);
    }
  }

  private answered(): void {
    this.head++;
    // compacting once half is spent keeps both the copying and the memory linear
    if (this.head === this.queue.length || (this.head >= 1024 && this.head * 2 >= this.queue.length)) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
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

/** Paths that differ between two commits (added, changed or deleted). */
export async function changedPaths(dir: string, from: string, to: string): Promise<string[]> {
  const out = await git(dir, ['diff-tree', '-r', '-z', '--name-only', '--no-renames', from, to]);
  return out.split('\0').filter((p) => p.length > 0);
}

export async function resolveRef(dir: string, ref: string): Promise<string | null> {
  const result = await tryGit(dir, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
  return result.exitCode === 0 ? result.stdout.trim() : null;
}
