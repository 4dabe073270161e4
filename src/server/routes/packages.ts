/** Package metadata: every version of a package, and one version (v1 and the older v0 shapes). */
import type { Handler, JsonEndpoint } from '../context.js';
import { nameParam } from '../path-params.js';
import { sendJson } from '../respond.js';
import { sendArchive, sendDoc, sendReadme } from './downloads.js';
import { withPackage, withVersion } from './lookup.js';

export const getPackageVersions: JsonEndpoint = {
  json: (ctx) => withPackage(ctx, nameParam(ctx.params.name ?? ''), (record) => record.versionsJson()),
};

/** v0: a JSON array of version responses, one per version. */
export const getPackageVersionsV0: JsonEndpoint = {
  json: (ctx) => withPackage(ctx, nameParam(ctx.params.name ?? ''), (record) => record.v0Json()),
};

export const getPackageVersion: JsonEndpoint = {
  json: (ctx) => withVersion(ctx, ({ record, item }) => record.versionJson(item)),
};

/**
 * v0 serves everything from one URL: `?doc=` a doc page, `Accept: text/plain` the README,
 * `Accept: application/octet-stream` the archive (exact values, any case), else JSON.
 */
export const getPackageVersionV0: Handler = (ctx) =>
  withVersion(ctx, (found) => {
    const doc = ctx.query.get('doc');
    if (doc !== null) return sendDoc(ctx, found, doc);
    const accept = ctx.req.headers.accept?.toLowerCase();
    if (accept === 'text/plain') return sendReadme(ctx, found);
    if (accept === 'application/octet-stream') return sendArchive(ctx, found);
    return sendJson(ctx.req, ctx.res, 200, found.record.versionJson(found.item));
  });
