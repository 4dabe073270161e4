/** Yank and deprecate, for the CLI and the HTTP routes: a change builder run by the one writer. */
import { auditTrailers, type AuditedAction } from '../audit/trailer.js';
import { assertMayWrite, type Identity } from '../identity.js';
import { buildDeprecateChange, buildYankChange } from './changes.js';
import { writeIndex, type IndexChange, type IndexSnapshot, type WriteKind, type WriteResult } from './index-writer.js';
import type { Committer } from './committer.js';
import type { LocalIndex } from './local-index.js';
import { parsePackageName } from './names.js';
import type { TargetKind } from './types.js';
import { parseVersion } from './version.js';

export { readOwnedPackage } from './changes.js';

export interface MutationContext {
  index: LocalIndex;
  committer?: Partial<Committer> | undefined;
  onRetry?: (attempt: number, reason: string) => void;
}

export interface MutationResult extends WriteResult {
  /** the server's answer text, as the official registry words it */
  summary: string;
}

export interface YankRequest {
  name: string;
  version: string;
  target: TargetKind | 'all';
  yanked: boolean;
  publisherId: number;
  /** who: checked against the credential's scopes, recorded in the commit's trailer */
  actor?: Identity | undefined;
}

export function setYanked(ctx: MutationContext, req: YankRequest): Promise<MutationResult> {
  const change = { ...req, name: parsePackageName(req.name), version: parseVersion(req.version) };
  assertMayWrite(req.actor, change.name.scope);
  const audit = { action: req.yanked ? 'yank' : 'unyank', actor: req.actor } as const;
  return runMutation(ctx, 'yank', req.publisherId, audit, (snapshot) => buildYankChange(snapshot, change));
}

export interface DeprecateRequest {
  name: string;
  /** empty to undeprecate */
  reason: string;
  publisherId: number;
  actor?: Identity | undefined;
}

export function setDeprecated(ctx: MutationContext, req: DeprecateRequest): Promise<MutationResult> {
  const change = { name: parsePackageName(req.name), reason: req.reason.trim(), publisherId: req.publisherId };
  assertMayWrite(req.actor, change.name.scope);
  const audit = { action: change.reason === '' ? 'undeprecate' : 'deprecate', actor: req.actor } as const;
  return runMutation(ctx, 'deprecate', req.publisherId, audit, (snapshot) => buildDeprecateChange(snapshot, change));
}

async function runMutation(
  ctx: MutationContext,
  kind: WriteKind,
  publisherId: number,
  audit: { action: AuditedAction; actor: Identity | undefined },
  build: (snapshot: IndexSnapshot) => Promise<{ summary: string; change: IndexChange }>,
): Promise<MutationResult> {
  let summary = '';
  const result = await writeIndex(ctx.index, {
    kind,
    actor: `publisher ${publisherId}`,
    trailers: auditTrailers(audit.action, audit.actor),
    build: async (snapshot) => {
      const built = await build(snapshot);
      summary = built.summary;
      return built.change;
    },
    committer: ctx.committer,
    onRetry: ctx.onRetry,
  });
  return { ...result, summary };
}
