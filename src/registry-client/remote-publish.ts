/**
 * `pesde-registry publish --registry <url>`: validate what can be validated without the
 * index (archive structure, manifest), then `POST /v1/packages`. A 409 to a retried request
 * is most likely our own earlier attempt having landed, so the stored archive is compared
 * with ours: the same bytes mean published, anything else is a conflict.
 */
import { createHash } from 'node:crypto';
import { FetchFailure } from '../bounded-fetch.js';
import { RegistryError } from '../errors.js';
import type { IndexConfig } from '../index-repo/types.js';
import type { Reporter } from '../output.js';
import { inspectPackage } from '../package/inspect-package.js';
import { clientFromFlags, type RegistryFlags } from './cli-client.js';
import { refusal, type RegistryClient } from './registry-client.js';

export interface PackageUpload {
  archive: Buffer;
  packed?: { files: string[]; warnings: string[] } | undefined;
}

interface PublishFlags extends RegistryFlags {
  dryRun?: boolean;
}

export async function publishThroughRegistry(reporter: Reporter, input: PackageUpload, flags: PublishFlags): Promise<void> {
  reporter.step('Validating the package');
  const pkg = await inspectPackage(input.archive, { config: permissiveConfig(flags.registry), ownIndexUrls: [] });
  const what = `${pkg.name.full}@${pkg.version} ${pkg.target}`;
  const identity = { name: pkg.name.full, version: pkg.version, target: pkg.target };
  const packedData = input.packed === undefined ? {} : { files: input.packed.files, warnings: input.packed.warnings };
  if (flags.dryRun) {
    const list = input.packed === undefined ? '' : `\nit would publish these ${input.packed.files.length} files:\n${input.packed.files.map((f) => `  ${f}`).join('\n')}`;
    reporter.result({ dryRun: true, ...identity, bytes: input.archive.length, ...packedData }, `${what} is valid here (the registry checks its own rules when it is sent)${list}`);
    return;
  }
  const client = await clientFromFlags(reporter, flags);
  reporter.step(`Publishing to ${client.base}`);
  const result = await client.send('POST', '/v1/packages', input.archive, 'application/octet-stream');
  if (input.packed !== undefined) reporter.info(`packed ${input.packed.files.length} files: ${input.packed.files.join(', ')}`);
  const base = { ...identity, registry: client.base, attempts: result.attempts, ...packedData };
  if (result.status === 200) {
    reporter.result({ ...base, alreadyPublished: false }, `published ${what} to ${client.base}`);
    return;
  }
  if (result.status === 409 && result.attempts > 1 && (await storedArchiveIs(client, identity, input.archive))) {
    reporter.result({ ...base, alreadyPublished: true }, `published ${what} to ${client.base} (already published: an earlier attempt landed)`);
    return;
  }
  const error = refusal(result, `${what}`);
  if (result.status === 409) {
    throw new RegistryError('conflict', `${what} is already published on ${client.base}`, { details: { ...error.details, alreadyPublished: true } });
  }
  throw error;
}

/** Whether the registry serves exactly these bytes for the version (following a redirect to S3). */
async function storedArchiveIs(client: RegistryClient, id: { name: string; version: string; target: string }, archive: Buffer): Promise<boolean> {
  const path = `/v1/packages/${encodeURIComponent(id.name)}/${encodeURIComponent(id.version)}/${id.target}/archive`;
  try {
    const answer = await client.fetchBounded(path, archive.length);
    return answer.status === 200 && digest(answer.body) === digest(archive);
  } catch (error) {
    if (error instanceof FetchFailure) return false;
    throw error;
  }
}

function digest(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * The archive checks that need no index: every dependency source allowed, no size limit
 * (the registry applies its config.toml when the package arrives).
 */
function permissiveConfig(api: string): IndexConfig {
  return { api, git_allowed: true, other_registries_allowed: true, wally_allowed: true, max_archive_size: Number.MAX_SAFE_INTEGER, scripts_packages: [] };
}
