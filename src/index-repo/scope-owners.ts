/**
 * Adding and removing scope owners: `<scope>/scope.toml` rewritten in the official format
 * through the same index writer as publishing (built on the newest tip, pushed with the
 * same retry), with the official registry's first-line style and an audit trailer.
 */
import { auditedMessage } from '../audit/trailer.js';
import { RegistryError } from '../errors.js';
import type { Identity } from '../identity.js';
import { writeIndexChange, type IndexSnapshot } from './index-writer.js';
import type { MutationContext, MutationResult } from './mutations.js';
import { parsePackageName } from './names.js';
import { parseScopeInfo, serializeScopeInfo } from './scope-file.js';

export interface OwnerChange {
  scope: string;
  userId: number;
  add: boolean;
  actor?: Identity | undefined;
}

/** Throws unless `scope` is a valid scope name (the scope part of a package name). */
export function parseScopeName(scope: string): string {
  try {
    return parsePackageName(`${scope}/x`).scope;
  } catch (error) {
    throw new RegistryError('invalid_input', `invalid scope "${scope}": ${(error as Error).message.replace(/^invalid package name "[^"]*": /, '')}`);
  }
}

/** The owners of `scope` at the snapshot, or null when the scope does not exist. */
export async function readOwners(snapshot: IndexSnapshot, scope: string): Promise<number[] | null> {
  const path = `${scope}/scope.toml`;
  const text = await snapshot.read(path);
  return text === null ? null : parseScopeInfo(text, path).owners;
}

/**
 * Adding to a scope that does not exist yet creates it, so an admin can reserve a scope
 * for its owners before anyone publishes into it. The last owner is never removed: a scope
 * without owners could be published into by nobody, and claimed by nobody either.
 */
export async function changeOwner(ctx: MutationContext, change: OwnerChange): Promise<MutationResult & { owners: number[] }> {
  const scope = parseScopeName(change.scope);
  let owners: number[] = [];
  const result = await writeIndexChange(
    ctx.index,
    async (snapshot) => {
      const current = await readOwners(snapshot, scope);
      if (current === null && !change.add) throw new RegistryError('not_found', `scope "${scope}" does not exist in this index`);
      const before = current ?? [];
      const has = before.includes(change.userId);
      if (change.add && has) throw new RegistryError('conflict', `${change.userId} is already an owner of scope "${scope}"`);
      if (!change.add && !has) throw new RegistryError('conflict', `${change.userId} is not an owner of scope "${scope}" (owners: ${before.join(', ')})`);
      if (!change.add && before.length === 1) {
        throw new RegistryError('conflict', `${change.userId} is the last owner of scope "${scope}": add another owner first`);
      }
      owners = [...new Set(change.add ? [...before, change.userId] : before.filter((id) => id !== change.userId))].sort((a, b) => a - b);
      const subject = change.add ? `add owner ${change.userId} to ${scope}` : `remove owner ${change.userId} from ${scope}`;
      return { message: auditedMessage(subject, 'owners', change.actor), files: new Map([[`${scope}/scope.toml`, serializeScopeInfo({ owners })]]) };
    },
    { committer: ctx.committer, onRetry: ctx.onRetry },
  );
  const summary = change.add ? `added ${change.userId} to the owners of ${scope}` : `removed ${change.userId} from the owners of ${scope}`;
  return { ...result, summary, owners };
}
