import { readFile, stat } from 'node:fs/promises';
import { cliActor } from '../audit/cli-actor.js';
import { publishAudit } from '../audit/trailer.js';
import { RegistryError } from '../errors.js';
import { knownIndexUrls } from '../index-repo/index-address.js';
import { openLocalIndex } from '../index-repo/local-index.js';
import type { Reporter } from '../output.js';
import { fetchWriteBase } from '../index-repo/clone-lock.js';
import type { PublishPhase, PublishResult } from '../publish.js';
import { NO_STORAGE_CONFIGURED, openStorage, resolveStorageOptions, type StorageFlags } from '../storage/storage-options.js';
import { parseOwnerFlag } from './flag-values.js';

interface PublishFlags extends StorageFlags {
  index: string;
  owner: string;
  indexUrl: string[];
  push: boolean;
  dryRun?: boolean;
  /** set: publish through this running registry over HTTP instead of into a local clone */
  registry?: string;
}

const PHASE_TEXT: Record<PublishPhase, string> = {
  validate: 'Validating the package',
  upload: 'Uploading to storage',
  commit: 'Committing the index entry',
  push: 'Pushing the index',
};

/** A hard cap on what is read from disk before config.toml's own limit is known. */
const MAX_READ_BYTES = 1024 * 1024 * 1024;

export async function readArchiveFile(file: string): Promise<Buffer> {
  let size: number;
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new RegistryError('usage', `${file} is not a file: pass the package .tar.gz`);
    size = info.size;
  } catch (error) {
    if (error instanceof RegistryError) throw error;
    throw new RegistryError('usage', `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  if (size > MAX_READ_BYTES) throw new RegistryError('too_large', `${file} is ${size} bytes; no index accepts archives that large`);
  return readFile(file);
}

interface PackageInput {
  archive: Buffer;
  /** set when a folder was packed: what went into the archive, and what pesde would warn about */
  packed?: { files: string[]; warnings: string[] };
}

/** `<archive>` is a .tar.gz, or a package folder packed here as `pesde publish` would pack it. */
async function readPackageInput(reporter: Reporter, input: string): Promise<PackageInput> {
  const isDirectory = await stat(input).then((info) => info.isDirectory(), () => false);
  if (!isDirectory) return { archive: await readArchiveFile(input) };
  reporter.step(`Packing ${input}`);
  // only a folder needs the packer (and its glob and manifest code)
  const { packDirectory } = await import('../package/pack-directory.js');
  const { archive, files, warnings } = await packDirectory(input);
  for (const warning of warnings) reporter.warn(warning);
  return { archive, packed: { files, warnings } };
}

export async function publishCommand(reporter: Reporter, archivePath: unknown, flags: PublishFlags): Promise<void> {
  if (flags.registry !== undefined) {
    const { publishThroughRegistry } = await import('../registry-client/remote-publish.js');
    return publishThroughRegistry(reporter, await readPackageInput(reporter, String(archivePath)), { ...flags, registry: flags.registry });
  }
  const publisherId = parseOwnerFlag(flags.owner);
  const storageOptions = resolveStorageOptions(flags, process.env);
  if (storageOptions === null && !flags.dryRun) {
    throw new RegistryError('usage', NO_STORAGE_CONFIGURED);
  }
  // the pipeline's modules (most of what this command loads) load while git answers
  const pipeline = import('../publish.js');
  pipeline.catch(() => undefined);
  const index = await openLocalIndex(flags.index, { requireRemote: flags.push, keepFacts: true });
  const effectiveIndex = flags.push ? index : { ...index, remote: null };
  // every publish starts with this fetch: under way while the archive is read and the modules load
  const fetched = fetchWriteBase(effectiveIndex);
  fetched.catch(() => undefined);
  // S3 storage loads its SDK: at the same time too (its errors still come after the archive's)
  const storage = storageOptions === null ? Promise.resolve(null) : openStorage(storageOptions);
  storage.catch(() => undefined);
  let result: PublishResult;
  let packed: PackageInput['packed'];
  try {
    const input = await readPackageInput(reporter, String(archivePath));
    packed = input.packed;
    const { publishPackage } = await pipeline;
    result = await publishPackage(
      { index: effectiveIndex, storage: await storage, ownIndexUrls: knownIndexUrls({ remote: index.remote, named: flags.indexUrl }) },
      input.archive,
      {
        publisherId,
        ...publishAudit(await cliActor(index.dir, publisherId, index.facts)),
        dryRun: flags.dryRun,
        onPhase: (phase) => reporter.step(PHASE_TEXT[phase]),
        onRetry: (attempt) => reporter.info(`the index moved (someone else pushed); rebuilding on the new tip (attempt ${attempt + 1})`),
        fetched,
      },
    );
  } finally {
    // a command that failed before the pipeline took the fetch over ends after it, not beside it
    await fetched.catch(() => undefined);
  }
  const what = `${result.name}@${result.version} ${result.target}`;
  const packedData = packed === undefined ? {} : { files: packed.files, warnings: packed.warnings };
  if (flags.dryRun) {
    const packedText = packed === undefined ? '' : `\nit would publish these ${packed.files.length} files:\n${packed.files.map((f) => `  ${f}`).join('\n')}`;
    reporter.result({ dryRun: true, name: result.name, version: result.version, target: result.target, storageKeys: result.storageKeys, entry: result.entry, ...packedData }, `${what} is valid; it would add:\n${JSON.stringify(result.entry, null, 2)}${packedText}`);
    return;
  }
  if (packed !== undefined) reporter.info(`packed ${packed.files.length} files: ${packed.files.join(', ')}`);
  if (!result.localUpdated) reporter.warn(localBehindWarning(flags.index));
  reporter.result(
    { name: result.name, version: result.version, target: result.target, commit: result.commit, storageKeys: result.storageKeys, attempts: result.attempts, pushed: flags.push, localUpdated: result.localUpdated, ...packedData },
    `published ${what} (commit ${result.commit?.slice(0, 8)}${flags.push ? ', pushed' : ', not pushed'})`,
  );
}

/** The publish landed; only the user's checkout lags, which they should hear about once. */
export function localBehindWarning(dir: string): string {
  return `the commit landed, but the checkout in ${dir} could not be fast-forwarded (local changes or a stale .git/index.lock?); run \`git pull --ff-only\` there`;
}
