/**
 * Stored objects of a version: the archive (streamed from the file system, or a 307 to a
 * pre-signed S3 URL unless proxying), the README and doc pages (gzip, served as stored).
 */
import { archiveKey, docKey, readmeKey } from '../../storage/keys.js';
import type { Handler, RequestContext } from '../context.js';
import { HttpError } from '../http-error.js';
import { sendObject, sendRedirect } from '../respond.js';
import { withVersion, type FoundVersion } from './lookup.js';

export const getArchive: Handler = (ctx) => withVersion(ctx, (found) => sendArchive(ctx, found));

export const getReadme: Handler = (ctx) => withVersion(ctx, (found) => sendReadme(ctx, found));

export const getDoc: Handler = (ctx) =>
  withVersion(ctx, (found) => {
    const page = ctx.query.get('doc');
    if (page === null) throw new HttpError(400, 'missing query parameter `doc` (the doc page name)');
    return sendDoc(ctx, found, page);
  });

export async function sendArchive(ctx: RequestContext, { name, item }: FoundVersion): Promise<void> {
  const location = await ctx.server.storage.locateArchive(archiveKey(name, item.id), { proxy: ctx.server.s3Proxy });
  if (location === null) throw new HttpError(404, `the archive of ${name.full}@${item.id.version} ${item.id.target} is not in storage`);
  if (location.kind === 'redirect') return sendRedirect(ctx.req, ctx.res, location.url);
  await sendObject(ctx.req, ctx.res, location.object);
}

export async function sendReadme(ctx: RequestContext, { name, item }: FoundVersion): Promise<void> {
  const object = await ctx.server.storage.get(readmeKey(name, item.id));
  if (object === null) throw new HttpError(404, `${name.full}@${item.id.version} ${item.id.target} has no README`);
  await sendObject(ctx.req, ctx.res, object);
}

export async function sendDoc(ctx: RequestContext, { name, record, item }: FoundVersion, page: string): Promise<void> {
  const hash = record.findDoc(item, page);
  if (hash === null) throw new HttpError(404, `${name.full}@${item.id.version} ${item.id.target} has no doc page ${JSON.stringify(page)}`);
  const object = await ctx.server.storage.get(docKey(hash));
  if (object === null) throw new HttpError(404, `doc page ${JSON.stringify(page)} is not in storage`);
  await sendObject(ctx.req, ctx.res, object);
}
