/**
 * Finding the package and version a request names. Every parameter is validated before
 * anything is looked up, so a malformed request is a 400 even for an unknown package.
 */
import type { PackageName } from '../../index-repo/types.js';
import type { RequestContext } from '../context.js';
import { HttpError } from '../http-error.js';
import type { PackageRecord } from '../package-record.js';
import type { IdEntry } from '../package-view.js';
import { nameParam, targetParam, versionParam } from '../path-params.js';

/**
 * Calls `use` with the parsed package: at once when it is in memory (most requests, which
 * then cost no promise), else once it has been read and parsed. A 404 when absent.
 */
export function withPackage<T>(ctx: RequestContext, name: PackageName, use: (record: PackageRecord) => T | Promise<T>): T | Promise<T> {
  const state = ctx.server.state();
  const cached = state.cachedRecord(name.full);
  if (cached !== undefined) return use(present(cached, name));
  return state.record(name.full).then((record) => use(present(record, name)));
}

function present(record: PackageRecord | null, name: PackageName): PackageRecord {
  if (record === null) throw new HttpError(404, `package ${name.full} not found`);
  return record;
}

export interface FoundVersion {
  name: PackageName;
  record: PackageRecord;
  item: IdEntry;
}

/** Like withPackage, for the version and target the path names; a 404 when there is none. */
export function withVersion<T>(ctx: RequestContext, use: (found: FoundVersion) => T | Promise<T>): T | Promise<T> {
  const name = nameParam(ctx.params.name ?? '');
  const version = versionParam(ctx.params.version ?? '');
  const target = targetParam(ctx.params.target ?? '');
  return withPackage(ctx, name, (record) => {
    const item = record.resolve(version, target);
    if (item === null) {
      const v = version.kind === 'latest' ? 'latest' : version.version;
      const t = target.kind === 'any' ? 'any target' : target.target;
      throw new HttpError(404, `${name.full}@${v} (${t}) not found`);
    }
    return use({ name, record, item });
  });
}
