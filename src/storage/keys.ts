/**
 * Where each stored object lives (protocol section 6) and the headers it is served with.
 * Both backends use the same keys: on the file system a key is a path under the root,
 * so a key must never be able to point outside it.
 */
import { RegistryError } from '../errors.js';
import { TARGET_KINDS, type PackageName, type VersionId } from '../index-repo/types.js';

export interface ObjectMeta {
  contentType: string;
  contentEncoding?: string;
}

export const ARCHIVE_FILE = 'pkg.tar.gz';
export const README_FILE = 'readme.gz';
/** Capitalised so it can never collide with a scope, which is lower case. */
export const DOC_DIR = 'Doc';

// The archive is a .tar.gz file, not a gzip-encoded tar: without Content-Encoding, HTTP
// clients that decode transparently (fetch, browsers, curl --compressed) still get the
// bytes that were published. The pesde client gunzips the body itself either way.
const ARCHIVE_META: ObjectMeta = { contentType: 'application/gzip' };
// README and doc pages are stored compressed and served as stored, so the client decodes.
const GZIPPED_TEXT_META: ObjectMeta = { contentType: 'text/plain', contentEncoding: 'gzip' };
const UNKNOWN_META: ObjectMeta = { contentType: 'application/octet-stream' };

export function archiveKey(name: PackageName, id: VersionId): string {
  return `${versionDir(name, id)}/${ARCHIVE_FILE}`;
}

export function readmeKey(name: PackageName, id: VersionId): string {
  return `${versionDir(name, id)}/${README_FILE}`;
}

/** `<scope>/<name>/<version>/<target>` of an archive or README key; null for any other key. */
export function versionDirOfKey(key: string): string | null {
  const parts = key.split('/');
  return parts.length === 5 && (parts[4] === ARCHIVE_FILE || parts[4] === README_FILE) ? parts.slice(0, 4).join('/') : null;
}

export function docKey(hash: string): string {
  if (!/^[0-9a-f]+$/i.test(hash)) {
    throw unsafe(`doc hash ${JSON.stringify(hash)} is not hexadecimal`);
  }
  return `${DOC_DIR}/${hash}.gz`;
}

/** The headers an object is served with, derived from its key so every backend agrees. */
export function metaForKey(key: string): ObjectMeta {
  const file = key.slice(key.lastIndexOf('/') + 1);
  if (file === ARCHIVE_FILE) return { ...ARCHIVE_META };
  if (file === README_FILE || key.startsWith(`${DOC_DIR}/`)) return { ...GZIPPED_TEXT_META };
  return { ...UNKNOWN_META };
}

/**
 * Throws unless `key` is a relative, `/`-separated path whose segments are all ordinary
 * names. Segments may not start with a dot: that rules out `.` and `..`, and leaves
 * dot-names free for the file-system backend's temporary files.
 */
export function assertSafeKey(key: string): string {
  const segments = key.split('/');
  for (const segment of segments) assertSafeSegment(segment, key);
  return key;
}

/** Like assertSafeKey, for a listing prefix whose last segment may be partial or empty. */
export function assertSafePrefix(prefix: string): string {
  if (prefix === '') return prefix;
  const segments = prefix.split('/');
  const last = segments.pop() ?? '';
  for (const segment of segments) assertSafeSegment(segment, prefix);
  if (last !== '') assertSafeSegment(last, prefix);
  return prefix;
}

function versionDir(name: PackageName, id: VersionId): string {
  if (!/^[0-9A-Za-z.+-]+$/.test(id.version)) {
    throw unsafe(`version ${JSON.stringify(id.version)} is not semver text`);
  }
  if (!(TARGET_KINDS as readonly string[]).includes(id.target)) {
    throw unsafe(`target ${JSON.stringify(id.target)} is not a target kind`);
  }
  return assertSafeKey(`${name.scope}/${name.name}/${id.version}/${id.target}`);
}

function assertSafeSegment(segment: string, key: string): void {
  // 255 bytes is the usual file-name limit: a longer segment would work on S3 but not on fs.
  if (
    segment === '' ||
    segment.startsWith('.') ||
    /[\\\u0000-\u001f\u007f]/.test(segment) ||
    Buffer.byteLength(segment) > 255
  ) {
    throw unsafe(
      `storage key ${JSON.stringify(key)} has an unsafe segment ${JSON.stringify(segment)}`,
    );
  }
}

function unsafe(message: string): RegistryError {
  return new RegistryError('invalid_input', message);
}
