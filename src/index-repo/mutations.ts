import { auditedMessage } from '../audit/trailer.js';
import { RegistryError } from '../errors.js';
import { assertMayWrite, type Identity } from '../identity.js';
import { writeIndexChange, type IndexSnapshot, type WriteResult } from './index-writer.js';
import type { Committer } from './committer.js';
import type { LocalIndex } from './local-index.js';
import { parsePackageName } from './names.js';
import { parseIndexFile, serializeIndexFile } from './package-file.js';
import { parseScopeInfo } from './scope-file.js';
import type { IndexFile, PackageName, TargetKind } from './types.js';
import { parseVersion } from './version.js';

export interface MutationContext {
  index: LocalIndex;
  committer?: Partial<Committer> | undefined;
  onRetry?: (attempt: number, reason: string) => void;
}

export interface MutationResult extends WriteResult {
  /** the server's answer text, as the official registry words it */
  summary: string;
}

/** Reads a package file after checking the publisher owns its scope (the official order of checks). */
export async function readOwnedPackage(snapshot: IndexSnapshot, name: PackageName, publisherId: number): Promise<IndexFile> {
  const scopeText = await snapshot.read(`${name.scope}/scope.toml`);
  if (scopeText === null) throw new RegistryError('not_found', `package ${name.full} does not exist in this index`);
  const scope = parseScopeInfo(scopeText, `${name.scope}/scope.toml`);
  if (!scope.owners.includes(publisherId)) {
    throw new RegistryError('forbidden', `publisher ${publisherId} is not an owner of scope "${name.scope}" (owners are listed in ${name.scope}/scope.toml)`);
  }
  const text = await snapshot.read(`${name.scope}/${name.name}`);
  if (text === null) throw new RegistryError('not_found', `package ${name.full} does not exist in this index`);
  return parseIndexFile(text, `${name.scope}/${name.name}`);
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

export async function setYanked(ctx: MutationContext, req: YankRequest): Promise<MutationResult> {
  const name = parsePackageName(req.name);
  const version = parseVersion(req.version);
  assertMayWrite(req.actor, name.scope);
  let summary = '';
  const result = await writeIndexChange(
    ctx.index,
    async (snapshot) => {
      const file = await readOwnedPackage(snapshot, name, req.publisherId);
      const matching = file.entries.filter((e) => e.id.version === version && (req.target === 'all' || e.id.target === req.target));
      if (matching.length === 0) {
        throw new RegistryError('not_found', `${name.full}@${version}${req.target === 'all' ? '' : ` ${req.target}`} does not exist in this index`);
      }
      const changed = matching.filter((e) => Boolean(e.entry.yanked) !== req.yanked);
      if (changed.length === 0) {
        throw new RegistryError('conflict', `${name.full}@${version} is already ${req.yanked ? 'yanked' : 'not yanked'}`);
      }
      for (const e of changed) {
        if (req.yanked) e.entry.yanked = true;
        else delete e.entry.yanked;
      }
      const targets = changed.map((e) => e.id.target).join(', ');
      const verb = req.yanked ? 'yank' : 'unyank';
      summary = `${verb}ed ${name.full}@${version} ${targets}`;
      return {
        message: auditedMessage(`${verb} ${name.full}@${version} ${targets}`, verb, req.actor),
        files: new Map([[`${name.scope}/${name.name}`, serializeIndexFile(file)]]),
      };
    },
    { committer: ctx.committer, onRetry: ctx.onRetry },
  );
  return { ...result, summary };
}

export interface DeprecateRequest {
  name: string;
  /** empty to undeprecate */
  reason: string;
  publisherId: number;
  actor?: Identity | undefined;
}

export async function setDeprecated(ctx: MutationContext, req: DeprecateRequest): Promise<MutationResult> {
  const name = parsePackageName(req.name);
  const reason = req.reason.trim();
  const deprecating = reason !== '';
  assertMayWrite(req.actor, name.scope);
  const result = await writeIndexChange(
    ctx.index,
    async (snapshot) => {
      const file = await readOwnedPackage(snapshot, name, req.publisherId);
      if ((file.deprecated ?? '') === reason) {
        throw new RegistryError('conflict', deprecating ? `${name.full} is already deprecated with this reason` : `${name.full} is not deprecated`);
      }
      if (deprecating) file.deprecated = reason;
      else delete file.deprecated;
      return {
        message: auditedMessage(`${deprecating ? '' : 'un'}deprecate ${name.full}`, deprecating ? 'deprecate' : 'undeprecate', req.actor),
        files: new Map([[`${name.scope}/${name.name}`, serializeIndexFile(file)]]),
      };
    },
    { committer: ctx.committer, onRetry: ctx.onRetry },
  );
  return { ...result, summary: `${deprecating ? '' : 'un'}deprecated ${name.full}` };
}
