/**
 * Parsing package files without holding the event loop. smol-toml reads an index file at a
 * few MB/s (the public index's largest file, about 100 KB, takes 15-35 ms), and anyone who
 * can push to the index can make a file of many MB. So a file of up to INLINE_MAX_CHARS is
 * parsed where it is asked for, a larger one in a worker thread (one parse at a time, each
 * with a deadline after which the worker is ended and the file refused), and one above
 * MAX_PACKAGE_FILE_BYTES is refused unread.
 *
 * A file served from the worker also has its versions list (`GET /v1/packages/{name}`, the
 * first thing a client asks for) rendered there, with its gzip form: for a file of many MB
 * that JSON takes longer to write than the parse, and it would be written on the event loop.
 */
import { workerEntry } from '../worker-entry.js';
import { Worker } from 'node:worker_threads';
import type { IndexFile, PackageName } from '../index-repo/types.js';
import { parseIndexFile } from '../index-repo/package-file.js';
import type { RecordLayout } from './package-record.js';
import { scanIndexFile, type ScannedFile } from './package-scan.js';

/** Parsed inline up to this: about 10 ms. */
export const INLINE_MAX_CHARS = 64 * 1024;
/** The largest package file the server reads: 80 times the public index's largest. */
export const MAX_PACKAGE_FILE_BYTES = 8 * 1024 * 1024;
export const PARSE_DEADLINE_MS = 10_000;

/** A file the server will not serve, for its size or its parse time; the message says which. */
export class UnreadablePackageFile extends Error {
  override readonly name = 'UnreadablePackageFile';
}

/**
 * The versions list of a package, rendered in the worker: its JSON as UTF-8, and the gzip
 * form when that pays. Bytes, moved rather than copied: for a file of many MB the text
 * itself, copied into the event loop's heap and encoded there again, cost that loop more
 * than the rest of the first answer (bench:hostile, 4 MB file).
 */
export interface RenderedVersions {
  bytes: Uint8Array;
  gzip: Uint8Array | null;
}

export interface ServedPackageFile {
  file: IndexFile;
  /** for a file parsed in the worker */
  versions?: RenderedVersions;
  /** for a file parsed in the worker: what its record is built with */
  layout?: RecordLayout;
}

/** What a job asks of the worker thread, and what it answers. */
export interface ParseJob {
  id: number;
  text: string;
  where: string;
  /** render the versions list of this package too */
  render?: PackageName;
  /** scan these bytes (package-scan.ts) instead of parsing `text` */
  scan?: Uint8Array;
}
export interface ParseAnswer {
  id: number;
  /**
   * entries of the file, in order, ahead of the answer that ends with the rest of them: each
   * message is read whole by the event loop, so a large file comes back in several
   */
  part?: IndexFile['entries'];
  file?: IndexFile;
  versions?: RenderedVersions;
  layout?: RecordLayout;
  scanned?: ScannedFile | null;
  error?: string;
}

interface Job extends ParseJob {
  resolve: (answer: ParseAnswer) => void;
  reject: (error: Error) => void;
  /** the entries of the parts received so far */
  parts?: Array<IndexFile['entries']>;
}

let worker: Worker | undefined;
const waiting: Job[] = [];
let running: { job: Job; timer: NodeJS.Timeout } | undefined;
let nextId = 0;

/** Throws what parseIndexFile throws, or UnreadablePackageFile. */
export function parsePackageFile(text: string, where: string): IndexFile | Promise<IndexFile> {
  if (text.length <= INLINE_MAX_CHARS) return parseIndexFile(text, where);
  return inWorker({ text, where }).then((answer) => answer.file!);
}

/**
 * scanIndexFile of a file larger than INLINE_MAX_CHARS, in the worker: a pass over many MB
 * (a refresh that brings one in) takes tens of ms.
 */
export function scanPackageFile(blob: Buffer, where: string): ScannedFile | null | Promise<ScannedFile | null> {
  if (blob.length <= INLINE_MAX_CHARS) return scanIndexFile(blob);
  return inWorker({ text: '', where, scan: blob }).then((answer) => answer.scanned ?? null);
}

/** The same, for serving `name`: a file parsed in the worker comes with its versions list rendered. */
export function parsePackageFileToServe(text: string, where: string, name: PackageName): ServedPackageFile | Promise<ServedPackageFile> {
  if (text.length <= INLINE_MAX_CHARS) return { file: parseIndexFile(text, where) };
  return inWorker({ text, where, render: { scope: name.scope, name: name.name, full: name.full } }).then((answer) => ({
    file: answer.file!,
    ...(answer.versions === undefined ? {} : { versions: answer.versions }),
    ...(answer.layout === undefined ? {} : { layout: answer.layout }),
  }));
}

function inWorker(ask: Omit<ParseJob, 'id'>): Promise<ParseAnswer> {
  return new Promise((resolve, reject) => {
    waiting.push({ ...ask, id: nextId++, resolve, reject });
    startNext();
  });
}

function startNext(): void {
  if (running !== undefined) return;
  const job = waiting.shift();
  if (job === undefined) return;
  const thread = (worker ??= startWorker());
  const timer = setTimeout(() => {
    // the parse cannot be interrupted inside the thread: the thread goes, a fresh one comes
    void thread.terminate();
    if (worker === thread) worker = undefined;
    finish(job, () => job.reject(new UnreadablePackageFile(`${job.where} took more than ${PARSE_DEADLINE_MS / 1000} s to parse`)));
  }, PARSE_DEADLINE_MS);
  running = { job, timer };
  thread.ref();
  const { resolve: _resolve, reject: _reject, ...message } = job;
  thread.postMessage(message);
}

function startWorker(): Worker {
  const thread = new Worker(workerEntry('server/package-parse-worker'));
  thread.on('message', (answer: ParseAnswer) => {
    const job = running?.job;
    if (job === undefined || job.id !== answer.id) return;
    if (answer.part !== undefined) {
      (job.parts ??= []).push(answer.part);
      return;
    }
    if (answer.file !== undefined && job.parts !== undefined) answer.file.entries = [...job.parts, answer.file.entries].flat();
    finish(job, () => (answer.error === undefined ? job.resolve(answer) : job.reject(new Error(answer.error))));
  });
  thread.on('error', (error) => {
    if (worker === thread) worker = undefined;
    const job = running?.job;
    if (job !== undefined) finish(job, () => job.reject(error));
  });
  return thread;
}

function finish(job: Job, settle: () => void): void {
  if (running?.job !== job) return;
  clearTimeout(running.timer);
  running = undefined;
  // an idle worker does not keep the process alive
  worker?.unref();
  settle();
  startNext();
}
