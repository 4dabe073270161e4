/**
 * Objects as files under a root directory, laid out exactly like the keys (protocol
 * section 6), so a root written by the official registry can be served as is.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, mkdir, open, opendir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { assertSafeKey, assertSafePrefix, metaForKey } from './keys.js';
import {
  storageFailure,
  type ArchiveLocation,
  type Storage,
  type StoredObject,
  type TaggedKey,
} from './storage.js';

export class FsStorage implements Storage {
  readonly kind = 'fs' as const;
  readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  describe(): string {
    return `file system at ${this.root}`;
  }

  async check(): Promise<void> {
    try {
      await mkdir(this.root, { recursive: true });
      await access(this.root, constants.W_OK);
    } catch (error) {
      throw storageFailure(`storage root ${this.root} is not a writable directory`, error);
    }
  }

  async put(key: string, body: Buffer): Promise<void> {
    const file = this.pathOf(key);
    const dir = path.dirname(file);
    // A dot-name in the same directory: rename() is atomic only within one file system,
    // and keys never start with a dot, so listKeys can skip leftovers of a crash.
    const temp = path.join(dir, `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
    try {
      await mkdir(dir, { recursive: true });
      const handle = await open(temp, 'wx');
      try {
        await handle.writeFile(body);
        // Without this a crash soon after rename() can leave the new name pointing at
        // an empty or partial file on some file systems.
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, file);
      await syncDirectory(dir);
    } catch (error) {
      await rm(temp, { force: true }).catch(() => undefined);
      throw storageFailure(`could not write ${key} to ${this.describe()}`, error);
    }
  }

  async get(key: string): Promise<StoredObject | null> {
    const file = this.pathOf(key);
    let handle;
    try {
      handle = await open(file, 'r');
    } catch (error) {
      if (isMissing(error)) return null;
      throw storageFailure(`could not read ${key} from ${this.describe()}`, error);
    }
    try {
      // The size comes from the open descriptor, so a concurrent put (a rename onto this
      // name) cannot make it disagree with the bytes streamed.
      const info = await handle.stat();
      if (!info.isFile()) {
        await handle.close();
        return null;
      }
      return { body: handle.createReadStream(), size: info.size, ...metaForKey(key) };
    } catch (error) {
      await handle.close().catch(() => undefined);
      throw storageFailure(`could not read ${key} from ${this.describe()}`, error);
    }
  }

  async exists(key: string): Promise<boolean> {
    const file = this.pathOf(key);
    try {
      return (await stat(file)).isFile();
    } catch (error) {
      if (isMissing(error)) return false;
      throw storageFailure(`could not check ${key} in ${this.describe()}`, error);
    }
  }

  async locateArchive(key: string): Promise<ArchiveLocation | null> {
    const object = await this.get(key);
    return object && { kind: 'stream', object };
  }

  async *listKeys(prefix: string): AsyncIterable<string> {
    assertSafePrefix(prefix);
    // Start from the deepest directory the prefix names in full; its last, partial
    // segment is matched against entry names below.
    const startDir = prefix.slice(0, prefix.lastIndexOf('/') + 1);
    try {
      yield* this.walk(startDir.replace(/\/$/, ''), prefix);
    } catch (error) {
      throw storageFailure(`could not list ${prefix || 'all keys'} in ${this.describe()}`, error);
    }
  }

  async *listKeysWithTags(prefix: string): AsyncIterable<TaggedKey> {
    for await (const key of this.listKeys(prefix)) {
      try {
        const info = await stat(this.pathOf(key));
        // put() renames a new file into place, so a replaced object always has a new inode
        yield { key, tag: `${info.ino}:${info.size}:${info.mtimeMs}` };
      } catch (error) {
        if (isMissing(error)) continue;
        throw storageFailure(`could not list ${prefix} in ${this.describe()}`, error);
      }
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await rm(this.pathOf(key), { force: true });
    } catch (error) {
      throw storageFailure(`could not delete ${key} from ${this.describe()}`, error);
    }
  }

  private async *walk(relDir: string, prefix: string): AsyncGenerator<string> {
    let dir;
    try {
      dir = await opendir(path.join(this.root, relDir));
    } catch (error) {
      // Nothing stored under it yet, or removed while listing: no keys either way.
      if (isMissing(error)) return;
      throw error;
    }
    for await (const entry of dir) {
      if (entry.name.startsWith('.')) continue;
      const key = relDir === '' ? entry.name : `${relDir}/${entry.name}`;
      if (entry.isDirectory()) {
        const asDir = `${key}/`;
        if (asDir.startsWith(prefix) || prefix.startsWith(asDir)) yield* this.walk(key, prefix);
      } else if ((entry.isFile() || entry.isSymbolicLink()) && key.startsWith(prefix)) {
        yield key;
      }
    }
  }

  private pathOf(key: string): string {
    return path.join(this.root, ...assertSafeKey(key).split('/'));
  }
}

async function syncDirectory(dir: string): Promise<void> {
  // Makes the rename itself durable. Some platforms cannot fsync a directory; the data
  // is already in place then, so that is not worth failing the write for.
  let handle;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EINVAL' && code !== 'EPERM' && code !== 'EBADF') {
      throw error;
    }
  } finally {
    await handle?.close();
  }
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  // ENOTDIR: a parent of the key is a file, so the key cannot exist either.
  return code === 'ENOENT' || code === 'ENOTDIR';
}
