/**
 * Publishing, yanking and deprecating over HTTP: thin wrappers around the same pipeline
 * the CLI runs, answered with the official registry's plain-text summaries. Each write
 * ends by bringing the served state up to the pushed commit, so the writer reads its write.
 * The pipeline (tar, manifest checks) loads on the first write, keeping start-up and
 * read-only servers light.
 */
import { readBody } from '../body.js';
import type { Handler, RequestContext } from '../context.js';
import { HttpError } from '../http-error.js';
import { exactVersionParam, nameParam, yankTargetParam } from '../path-params.js';
import { sendText } from '../respond.js';

/** Like actix's default payload limit, for the small bodies (a deprecation reason). */
const SMALL_BODY_LIMIT = 256 * 1024;

export const publish: Handler = async (ctx) => {
  const publisherId = writer(ctx);
  enforceRateLimit(ctx, publisherId);
  const archive = await readBody(ctx.req, {
    maxBytes: ctx.server.state().config.max_archive_size,
    idleTimeoutMs: ctx.server.bodyIdleTimeoutMs,
  });
  const { publishPackage } = await import('../../publish.js');
  const result = await ctx.server.gitLock.run(() => publishPackage(ctx.server.write, archive, { publisherId, actor: ctx.identity ?? undefined }));
  await ctx.server.afterWrite();
  ctx.server.logger.info(`published ${result.name}@${result.version} ${result.target}`, { publisher: publisherId, commit: result.commit });
  sendText(ctx.req, ctx.res, 200, `published ${result.name}@${result.version} ${result.target}`);
};

/** PUT yanks, DELETE unyanks; `all` names every target of the version. */
export const yank: Handler = async (ctx) => {
  const publisherId = writer(ctx);
  const name = nameParam(ctx.params.name ?? '');
  const version = exactVersionParam(ctx.params.version ?? '');
  const target = yankTargetParam(ctx.params.target ?? '');
  const yanked = ctx.req.method !== 'DELETE';
  const { setYanked } = await import('../../index-repo/mutations.js');
  const result = await ctx.server.gitLock.run(() =>
    setYanked(ctx.server.write, { name: name.full, version, target, yanked, publisherId, actor: ctx.identity ?? undefined }),
  );
  await ctx.server.afterWrite();
  sendText(ctx.req, ctx.res, 200, result.summary);
};

/** PUT deprecates with the body as the reason (required), DELETE undeprecates. */
export const deprecate: Handler = async (ctx) => {
  const publisherId = writer(ctx);
  const name = nameParam(ctx.params.name ?? '');
  let reason = '';
  if (ctx.req.method !== 'DELETE') {
    const body = await readBody(ctx.req, { maxBytes: SMALL_BODY_LIMIT, idleTimeoutMs: ctx.server.bodyIdleTimeoutMs });
    reason = decodeUtf8(body).trim();
    if (reason === '') throw new HttpError(400, 'deprecating must have a non-empty reason');
  }
  const { setDeprecated } = await import('../../index-repo/mutations.js');
  const result = await ctx.server.gitLock.run(() => setDeprecated(ctx.server.write, { name: name.full, reason, publisherId, actor: ctx.identity ?? undefined }));
  await ctx.server.afterWrite();
  sendText(ctx.req, ctx.res, 200, result.summary);
};

function writer(ctx: RequestContext): number {
  // the app authenticates write routes before calling them; this guards against wiring mistakes
  if (ctx.publisherId === null) throw new HttpError(401, 'a write token is required');
  return ctx.publisherId;
}

function enforceRateLimit(ctx: RequestContext, publisherId: number): void {
  const limiter = ctx.server.publishLimiter;
  if (limiter === null) return;
  const decision = limiter.take(String(publisherId));
  if (decision.allowed) {
    ctx.res.setHeader('x-ratelimit-limit', decision.limit);
    ctx.res.setHeader('x-ratelimit-remaining', decision.remaining);
    return;
  }
  const seconds = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
  throw new HttpError(429, `too many publishes, retry in ${seconds}s`, {
    'retry-after': String(seconds),
    'x-ratelimit-after': String(seconds),
    'x-ratelimit-limit': String(decision.limit),
    'x-ratelimit-remaining': '0',
  });
}

function decodeUtf8(body: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    throw new HttpError(400, 'the reason is not valid UTF-8');
  }
}
