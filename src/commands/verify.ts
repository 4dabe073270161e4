import { RegistryError } from '../errors.js';
import { openLocalIndex, tipCommit } from '../index-repo/local-index.js';
import type { Reporter } from '../output.js';
import { openStorage, resolveStorageOptions, type StorageFlags } from '../storage/storage-options.js';
import { verifyIndex } from '../verify.js';

interface VerifyFlags extends StorageFlags {
  index: string;
}

export async function verifyCommand(reporter: Reporter, flags: VerifyFlags): Promise<void> {
  const index = await openLocalIndex(flags.index, { requireRemote: false });
  // verify what is checked out locally; a clone is verified as its user sees it
  const commit = await tipCommit({ ...index, remote: null });
  const options = resolveStorageOptions(flags, process.env);
  if (options === null) reporter.warn('no storage configured: checking the index only (pass --storage-root or S3 flags to check archives too)');
  reporter.step(`Verifying ${index.dir} at ${commit.slice(0, 8)}`);
  const started = performance.now();
  const report = await verifyIndex(index.dir, commit, options === null ? null : await openStorage(options));
  const seconds = ((performance.now() - started) / 1000).toFixed(2);
  if (!reporter.json) for (const p of report.problems) reporter.info(`${p.where}: ${p.problem}`);
  const summary = `${report.packages} packages, ${report.versions} versions, ${report.objectsChecked} stored objects checked in ${seconds} s`;
  if (report.problems.length > 0) {
    throw new RegistryError('verify_failed', `${report.problems.length} problem(s) found (${summary})`, { details: { ok: false, ...report } });
  }
  reporter.result({ ok: true, ...report }, `index is consistent: ${summary}`);
}
