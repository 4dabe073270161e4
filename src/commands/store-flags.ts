/** The token store lives in the registry's storage: commands that reach it need the storage flags. */
import { usageError } from '../errors.js';
import { openStorage, resolveStorageOptions, type StorageFlags } from '../storage/storage-options.js';
import { TokenStore } from '../tokens/token-store.js';

export async function openTokenStore(flags: StorageFlags, why: string): Promise<TokenStore> {
  const options = resolveStorageOptions(flags, process.env);
  if (options === null) {
    throw usageError(`${why} needs the registry's storage, where the token store is: pass --storage-root <dir> or the --s3-* flags, or set FS_STORAGE_ROOT or S3_*`);
  }
  return new TokenStore(await openStorage(options));
}

/** null when no storage is configured (the directory of user names is then unknown) */
export async function maybeTokenStore(flags: StorageFlags): Promise<TokenStore | null> {
  const options = resolveStorageOptions(flags, process.env);
  return options === null ? null : new TokenStore(await openStorage(options));
}
