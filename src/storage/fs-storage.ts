/**
 * Objects as files under a root directory, laid out exactly like the keys (protocol
 * section 6), so a root written by the official registry can be served as is.
 */
import { randomBytes } from 'node:crypto';
import { close, constants, createReadStream, fstat, open as openCallback } from 'node:fs';
import { access, mkdir, open, opendir, rename, rm, rmdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { assertSafeKey, assertSafePrefix, metaForKey } from './keys.js';
import {
  storageFailure,
  type ArchiveLocation,
  type ObjectInfo,
  type Storage,
  type StoredObject,
} from './storage.js';

const openFile = promisify(openCallback);
const fstatFile = promisify(fstat);
const closeFile = promisify(close);

/** File operations kept in flight at once by listings and batch deletes. */
const FS_PARALLEL = 16;
/**
 * Bytes per read of a streamed object: four times the stream default. Archive downloads
 * ran 0.81 of a bare server's throughput in 64 KiB reads and 0.99 in these (bench:download,
 * mean of the runs), for at most about twice this held per download (one chunk read ahead,
 * one in the socket's queue).
 */
const READ_CHUNK_BYTES = 256 * 1024;

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

  async put(key: string, body: Buffer, opts: { signal?: AbortSignal } = {}): Promise<void> {
    const file = this.pathOf(key);
    const dir = path.dirname(file);
    // A dot-name in the same directory: rename() is atomic only within one file system,
    // and keys never start with a dot, so listKeys can skip leftovers of a crash.
    const temp = path.join(dir, `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
    try {
      await mkdir(dir, { recursive: true });
      const handle = await open(temp, 'wx');
      try {
        await handle.writeFile(body, { signal: opts.signal });
        // Without this a crash soon after rename() can leave the new name pointing at
        // an empty or partial file on some file systems.
        await handle.sync();
      } finally {
        await handle.close();
      }
      opts.signal?.throwIfAborted();
      await rename(temp, file);
      await syncDirectory(dir);
    } catch (error) {
      await rm(temp, { force: true }).catch(() => undefined);
      throw storageFailure(`could not write ${key} to ${this.describe()}`, error);
    }
  }

  async get(key: string): Promise<StoredObject | null> {
    const file = this.pathOf(key);
    let fd: number;
    try {
      fd = await openFile(file, 'r');
    } catch (error) {
      if (isMissing(error)) return null;
      throw storageFailure(`could not read ${key} from ${this.describe()}`, error);
    }
    try {
      // The size comes from the open descriptor, so a concurrent put (a rename onto this
      // name) cannot make it disagree with the bytes streamed.
      const info = await fstatFile(fd);
      if (!info.isFile()) {
        await closeFile(fd);
        return null;
      }
      // A stream over the descriptor itself: each chunk is one callback read, where a
      // FileHandle's stream costs a promise and its bookkeeping per chunk (a download went
      // a third slower so). It closes the descriptor when it ends or is destroyed.
      return { body: createReadStream(file, { fd, highWaterMark: READ_CHUNK_BYTES }), size: info.size, ...metaForKey(key) };
    } catch (error) {
      await closeFile(fd).catch(() => undefined);
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
    for await (const found of this.listFiles(prefix)) yield found.key;
  }

  async *listObjects(prefix: string): AsyncIterable<ObjectInfo> {
    // stats a batch at a time: one after another, their latency is what the listing costs
    let batch: Array<{ key: string; file: string }> = [];
    const statBatch = async () => {
      const infos = await Promise.all(batch.map(({ key, file }) => this.statObject(key, file, prefix)));
      batch = [];
      return infos.filter((info): info is ObjectInfo => info !== null);
    };
    for await (const found of this.listFiles(prefix)) {
      batch.push(found);
      if (batch.length >= FS_PARALLEL * 4) yield* await statBatch();
    }
    yield* await statBatch();
  }

  private async statObject(key: string, file: string, prefix: string): Promise<ObjectInfo | null> {
    try {
      const info = await stat(file);
      return info.isFile() ? { key, size: info.size, modified: info.mtime } : null;
    } catch (error) {
      // deleted between the directory read and the stat: it is not there any more
      if (isMissing(error)) return null;
      throw storageFailure(`could not list ${prefix || 'all keys'} in ${this.describe()}`, error);
    }
  }

  async delete(key: string): Promise<void> {
    const file = this.pathOf(key);
    try {
      await rm(file, { force: true });
    } catch (error) {
      throw storageFailure(`could not delete ${key} from ${this.describe()}`, error);
    }
    // empty version folders left behind would only slow every later walk down
    for (let dir = path.dirname(file); dir.startsWith(`${this.root}${path.sep}`); dir = path.dirname(dir)) {
      const removed = await rmdir(dir).then(() => true, () => false);
      if (!removed) break;
    }
  }

  async deleteMany(keys: readonly string[]): Promise<void> {
    // a handful at once: each is a few system calls, and their latency is what adds up
    let next = 0;
    const worker = async () => {
      while (next < keys.length) await this.delete(keys[next++]!);
    };
    await Promise.all(Array.from({ length: Math.min(FS_PARALLEL, keys.length) }, worker));
  }

  private async *listFiles(prefix: string): AsyncGenerator<{ key: string; file: string }> {
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

  private async *walk(relDir: string, prefix: string): AsyncGenerator<{ key: string; file: string }> {
    const absDir = path.join(this.root, relDir);
    let dir;
    try {
      dir = await opendir(absDir);
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
        yield { key, file: path.join(absDir, entry.name) };
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
