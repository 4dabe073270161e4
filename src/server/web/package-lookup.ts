/**
 * The package and version a page shows: `/packages/<scope>/<name>` names the package,
 * `?version=&target=` pick one of its versions (default: the version `latest` resolves to,
 * as the API does, and its first target in kind order).
 */
import { isRegistryError } from '../../errors.js';
import { parsePackageName, parseTargetKind } from '../../index-repo/names.js';
import type { PackageName } from '../../index-repo/types.js';
import { parseVersion } from '../../index-repo/version.js';
import { HttpError } from '../http-error.js';
import type { PackageRecord } from '../package-record.js';
import type { IdEntry } from '../package-view.js';
import type { PageRequest } from './page-request.js';

export interface ShownVersion {
  name: PackageName;
  record: PackageRecord;
  item: IdEntry;
}

export async function findShownVersion(page: PageRequest): Promise<ShownVersion> {
  const full = `${page.params.scope ?? ''}/${page.params.name ?? ''}`;
  let name: PackageName;
  try {
    name = parsePackageName(full);
  } catch (error) {
    // no package can have a malformed name: that is "not here", like any unknown name
    if (isRegistryError(error)) throw new HttpError(404, `there is no package named ${full}`);
    throw error;
  }
  const record = await page.server.state().record(name.full);
  if (record === null) throw new HttpError(404, `there is no package named ${name.full} in this registry`);

  const version = optional(page.query.get('version'), (v) => parseVersion(v), 'version');
  const target = optional(page.query.get('target'), (t) => parseTargetKind(t), 'target');
  const item =
    version === null
      ? record.resolve({ kind: 'latest' }, target === null ? { kind: 'any' } : { kind: 'specific', target })
      : record.resolve({ kind: 'specific', version }, target === null ? { kind: 'any' } : { kind: 'specific', target });
  if (item === null) {
    const which = `${version ?? 'the latest version'}${target === null ? '' : ` (${target})`}`;
    throw new HttpError(404, `${name.full} has no ${which}`);
  }
  return { name, record, item };
}

function optional<T>(raw: string | null, parse: (text: string) => T, what: string): T | null {
  if (raw === null || raw === '') return null;
  try {
    return parse(raw);
  } catch (error) {
    if (isRegistryError(error)) throw new HttpError(400, `${JSON.stringify(raw.slice(0, 100))} is not a ${what}`);
    throw error;
  }
}

/** Every entry of the package, newest version first, targets of a version in kind order. */
export function versionsNewestFirst(record: PackageRecord): Array<{ version: string; entries: IdEntry[] }> {
  const groups: Array<{ version: string; entries: IdEntry[] }> = [];
  // the file keeps entries sorted by version id (version, then target kind)
  for (const item of record.file.entries) {
    const last = groups[groups.length - 1];
    if (last !== undefined && last.version === item.id.version) last.entries.push(item);
    else groups.push({ version: item.id.version, entries: [item] });
  }
  return groups.reverse();
}
