/**
 * The files of an index at one commit, handed over in batches while `git ls-tree` is still
 * listing them. A full load reads every listed blob through cat-file; waiting for the whole
 * listing (and classifying every path) before the first read left cat-file idle for a few
 * hundred ms on a 50,000-package index, and the listing's own work now overlaps the reads.
 */
import { RegistryError } from '../errors.js';
import { gitEnv, gitFailure } from '../index-repo/git.js';
import { spawnGit } from '../index-repo/git-spawner.js';
import { classifyIndexPath, type IndexPath } from '../index-repo/index-layout.js';

/** A file of the index's layout: config, a scope's file or a package's (others are left out). */
export interface ListedFile {
  path: string;
  oid: string;
  at: Exclude<IndexPath, { kind: 'other' } | { kind: 'bad-package' }>;
}

const BLOB = 'blob ';
/** Files per batch: a few ms of reading each. */
const BATCH = 1024;
/** Batches handed over and not finished before the listing waits: enough to keep cat-file busy, few enough to keep memory flat. */
const IN_FLIGHT = 2;

/**
 * Calls `each` with the index's files in listing order, a batch at a time, the next batch
 * possibly before the previous one's promise has settled (so reads queue up in order);
 * resolves with how many files were handed over once every batch has finished.
 */
export function listIndexFiles(dir: string, commit: string, each: (batch: ListedFile[]) => Promise<void>, opts: { direct?: boolean } = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawnGit(dir, ['ls-tree', '-r', '-z', '--full-tree', commit], { env: { ...process.env, ...gitEnv() }, direct: opts.direct ?? false });
    child.stdin.end();
    const stderr: string[] = [];
    let partial = '';
    let batch: ListedFile[] = [];
    let listed = 0;
    let inFlight = 0;
    let listingDone = false;
    let failure: unknown;
    let settled = false;
    const finish = () => {
      if (settled || inFlight > 0 || (!listingDone && failure === undefined)) return;
      settled = true;
      if (failure === undefined) resolve(listed);
      else reject(failure);
    };
    const fail = (error: unknown) => {
      failure ??= error;
      if (!listingDone) {
        child.kill();
        // what it had written is read and dropped, so its pipe closes
        child.stdout.resume();
      }
      finish();
    };
    const handOver = () => {
      if (batch.length === 0 || failure !== undefined) return;
      const files = batch;
      batch = [];
      listed += files.length;
      inFlight++;
      if (inFlight >= IN_FLIGHT) child.stdout.pause();
      each(files).then(
        () => {
          inFlight--;
          if (inFlight < IN_FLIGHT && !listingDone) child.stdout.resume();
          finish();
        },
        (error: unknown) => {
          inFlight--;
          fail(error);
        },
      );
    };
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      if (failure !== undefined) return;
      const records = (partial + chunk).split('\0');
      partial = records.pop()!;
      for (const record of records) {
        // `<mode> <type> <oid>\t<path>`, read by position: no array and pieces per file
        const tab = record.indexOf('\t');
        const typeAt = record.indexOf(' ') + 1;
        const oidAt = typeAt + BLOB.length;
        if (typeAt === 0 || tab <= oidAt || !record.startsWith(BLOB, typeAt)) continue;
        const oid = record.slice(oidAt, tab);
        const path = record.slice(tab + 1);
        const at = classifyIndexPath(path);
        if (at.kind === 'other' || at.kind === 'bad-package') continue;
        batch.push({ path, oid, at });
        if (batch.length >= BATCH) handOver();
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => stderr.push(chunk));
    child.on('error', (error) => fail(new RegistryError('git', `cannot run git: ${error.message}`)));
    child.on('close', (code) => {
      listingDone = true;
      if (code !== 0) {
        fail(gitFailure(dir, 'ls-tree', stderr.join(''), code));
        return;
      }
      handOver();
      finish();
    });
  });
}
