/**
 * A package's summary from its blob without holding the event loop on a large file: past
 * INLINE_MAX_CHARS the file is scanned, or parsed, off the main thread (package-parser.ts).
 * A refresh does this for each changed file too large to parse here; a lookup by path while
 * the index loads (loading-lookup.ts) does it for every file it reads.
 */
import { RegistryError } from '../errors.js';
import type { PackageName } from '../index-repo/types.js';
import { INLINE_MAX_CHARS, MAX_PACKAGE_FILE_BYTES, parsePackageFile, scanPackageFile } from './package-parser.js';
import { PackageSummary } from './package-summary.js';

/** Rejects with why the file is not served (it does not parse, or is too large to). */
export async function summariseBlob(name: PackageName, oid: string, blob: Buffer, where: string): Promise<PackageSummary> {
  if (blob.length <= INLINE_MAX_CHARS) return PackageSummary.of(name, oid, blob, where);
  const scan = await scanPackageFile(blob, where);
  if (scan !== null) return PackageSummary.fromScan(name, oid, scan, blob.length);
  if (blob.length > MAX_PACKAGE_FILE_BYTES) {
    throw new RegistryError('too_large', `${blob.length} bytes in a layout only a full parse reads, more than the ${MAX_PACKAGE_FILE_BYTES} this server parses`);
  }
  return PackageSummary.fromFile(name, oid, await parsePackageFile(blob.toString('utf8'), where));
}
