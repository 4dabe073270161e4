/**
 * `pesde-registry owner list|add|remove <scope> [<user>]` on a clone of the index. A user is
 * a publisher id, or a user name from the token store (which needs the storage flags).
 * Pushing to the index is what authorises the change; `--owner` and the git identity are
 * recorded in the commit's trailer.
 */
import { cliActor } from '../audit/cli-actor.js';
import { RegistryError, usageError } from '../errors.js';
import { openLocalIndex, fetchOrigin, tipCommit } from '../index-repo/local-index.js';
import { changeOwner, parseScopeName, readOwners } from '../index-repo/scope-owners.js';
import { BlobReader } from '../index-repo/tree-reader.js';
import type { Reporter } from '../output.js';
import type { StorageFlags } from '../storage/storage-options.js';
import { UserDirectory } from '../tokens/user-directory.js';
import { parseOwnerFlag } from './flag-values.js';
import { localBehindWarning } from './publish.js';
import { maybeTokenStore } from './store-flags.js';

interface OwnerFlags extends StorageFlags {
  index: string;
  owner: string;
  push: boolean;
}

async function directory(flags: StorageFlags): Promise<UserDirectory | null> {
  const store = await maybeTokenStore(flags);
  return store === null ? null : new UserDirectory((await store.readAll()).records);
}

async function resolveUser(user: string, flags: StorageFlags): Promise<number> {
  if (/^\d+$/.test(user)) return parseOwnerFlag(user);
  const users = await directory(flags);
  if (users === null) throw usageError(`"${user}" is a user name: pass the storage flags so it can be looked up in the token store, or give the user id`);
  const id = users.idOf(user.toLowerCase());
  if (id === undefined) throw new RegistryError('not_found', `there is no user "${user}" in the token store (create one with \`pesde-registry token create --user ${user.toLowerCase()}\`)`);
  return id;
}

export async function ownerListCommand(reporter: Reporter, scopeArg: unknown, flags: OwnerFlags): Promise<void> {
  const scope = parseScopeName(String(scopeArg));
  const index = await openLocalIndex(flags.index, { requireRemote: false });
  if (index.remote !== null) await fetchOrigin(index);
  const commit = await tipCommit(index);
  const reader = BlobReader.open(index.dir);
  let owners: number[] | null;
  try {
    owners = await readOwners({ commit, read: (p) => reader.readText(`${commit}:${p}`) }, scope);
  } finally {
    reader.close();
  }
  if (owners === null) throw new RegistryError('not_found', `scope "${scope}" does not exist in this index`);
  const users = await directory(flags);
  const listed = owners.map((id) => ({ id, user: users?.nameOf(id) ?? null }));
  reporter.result({ scope, owners: listed }, `owners of ${scope}: ${listed.map((o) => (o.user === null ? String(o.id) : `${o.user} (${o.id})`)).join(', ')}`);
}

export function ownerChangeCommand(add: boolean) {
  return async (reporter: Reporter, scopeArg: unknown, userArg: unknown, flags: OwnerFlags): Promise<void> => {
    const scope = parseScopeName(String(scopeArg));
    const userId = await resolveUser(String(userArg), flags);
    const index = await openLocalIndex(flags.index, { requireRemote: flags.push });
    const actorId = parseOwnerFlag(flags.owner);
    reporter.step(`${add ? 'Adding' : 'Removing'} owner ${userId} ${add ? 'to' : 'from'} ${scope}`);
    const result = await changeOwner(
      {
        index: flags.push ? index : { ...index, remote: null },
        onRetry: (attempt) => reporter.info(`the index moved (someone else pushed); rebuilding on the new tip (attempt ${attempt + 1})`),
      },
      { scope, userId, add, actor: await cliActor(index.dir, actorId) },
    );
    if (!result.localUpdated) reporter.warn(localBehindWarning(flags.index));
    reporter.result(
      { scope, userId, owners: result.owners, summary: result.summary, commit: result.commit, attempts: result.attempts, pushed: flags.push },
      `${result.summary} (now ${result.owners.join(', ')}; commit ${result.commit.slice(0, 8)}${flags.push ? ', pushed' : ', not pushed'})`,
    );
  };
}
