/**
 * `pesde-registry storage copy --from <storage> --to <storage>`: copy every object the index
 * references (or, with --all, everything in the source) to another store, skipping what is
 * already there, with a progress bar on a terminal and a summary at the end.
 */
import { RegistryError, usageError } from '../errors.js';
import { openLocalIndex, tipCommit } from '../index-repo/local-index.js';
import type { Reporter } from '../output.js';
import { formatBytes } from '../storage/byte-size.js';
import { copyObjects, type CopyProgress } from '../storage/copy.js';
import { readIndexReferences } from '../storage/referenced-keys.js';
import { openStorage } from '../storage/storage-options.js';
import { parseStorageSpec, storagesOverlap } from '../storage/storage-spec.js';
import { parsePositiveIntFlag } from './flag-values.js';

interface CopyFlags {
  from?: string;
  to?: string;
  index: string;
  all?: boolean;
  concurrency?: string;
}

const DEFAULT_CONCURRENCY = 16;
const BAR_WIDTH = 24;

export async function storageCopyCommand(reporter: Reporter, flags: CopyFlags): Promise<void> {
  if (flags.from === undefined || flags.to === undefined) throw usageError('storage copy needs --from <storage> and --to <storage> (fs:<dir> or s3://<bucket>?endpoint=<url>&region=<region>)');
  const from = parseStorageSpec('--from', flags.from, process.env);
  const to = parseStorageSpec('--to', flags.to, process.env);
  if (await storagesOverlap(from, to)) throw usageError('--from and --to name the same storage (or one folder inside the other): nothing to copy');
  const concurrency = flags.concurrency === undefined ? DEFAULT_CONCURRENCY : parsePositiveIntFlag('--concurrency', flags.concurrency);

  let wanted: Map<string, 'required' | 'optional'> | null = null;
  let commit: string | null = null;
  if (!flags.all) {
    const index = await openLocalIndex(flags.index, { requireRemote: false });
    commit = await tipCommit(index);
    reporter.step(`Reading the index at ${commit.slice(0, 12)}`);
    const refs = await readIndexReferences(index.dir, commit);
    wanted = new Map();
    for (const key of refs.optional) wanted.set(key, 'optional');
    for (const key of refs.required) wanted.set(key, 'required');
  }
  const [source, destination] = await Promise.all([openStorage(from), openStorage(to)]);
  // the destination is not checked up front: its first refused write names the object it failed on
  await source.check();
  reporter.step(`Copying from ${source.describe()} to ${destination.describe()}`);
  const started = performance.now();
  const summary = await copyObjects({ source, destination, wanted, concurrency, onProgress: (p) => reporter.progress(progressText(source.describe(), p)) });
  const seconds = (performance.now() - started) / 1000;
  if (!reporter.json) for (const f of summary.failed) reporter.info(`failed ${f.key}: ${f.problem}`);
  const data = { commit, from: source.describe(), to: destination.describe(), ...summary, seconds: Math.round(seconds * 1000) / 1000 };
  const text = `${summary.objects} objects (${formatBytes(summary.bytes)}): ${summary.copied} copied (${formatBytes(summary.copiedBytes)}), ${summary.skipped} already there, ${summary.failed.length} failed, in ${seconds.toFixed(2)} s`;
  if (summary.failed.length > 0) throw new RegistryError('storage', `${summary.failed.length} object(s) could not be copied (${text}); the rest are in place, run again once fixed`, { details: { ok: false, ...data } });
  reporter.result({ ok: true, ...data }, text);
}

function progressText(from: string, p: CopyProgress): string {
  const share = p.total === 0 ? 1 : p.done / p.total;
  const filled = Math.round(share * BAR_WIDTH);
  return `Copying from ${from} [${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${Math.floor(share * 100)}% ${p.done}/${p.total} objects, ${formatBytes(p.doneBytes)} of ${formatBytes(p.totalBytes)}`;
}
