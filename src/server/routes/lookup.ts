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

export function findPackage(ctx: RequestContext, name: PackageName): PackageRecord {
  const record = ctx.server.state().packages.get(name.full);
  if (record === undefined) throw new HttpError(404, `package ${name.full} not found`);
  return record;
}

export interface FoundVersion {
  name: PackageName;
  record: PackageRecord;
  item: IdEntry;
}

export function findVersion(ctx: RequestContext): FoundVersion {
  const name = nameParam(ctx.params.name ?? '');
  const version = versionParam(ctx.params.version ?? '');
  const target = targetParam(ctx.params.target ?? '');
  const record = findPackage(ctx, name);
  const item = record.resolve(version, target);
  if (item === null) {
    const v = version.kind === 'latest' ? 'latest' : version.version;
    const t = target.kind === 'any' ? 'any target' : target.target;
    throw new HttpError(404, `${name.full}@${v} (${t}) not found`);
  }
  return { name, record, item };
}
