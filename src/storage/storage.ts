/**
 * The one interface the publish pipeline, the server and `verify` use to reach stored
 * objects. Keys come from keys.ts. Every failure other than "not found" is a
 * RegistryError('storage'); a key that could escape the store is RegistryError('invalid_input').
 */
import type { Readable } from 'node:stream';
import { RegistryError } from '../errors.js';
import type { ObjectMeta } from './keys.js';

export interface StoredObject extends ObjectMeta {
  body: Readable;
  /** bytes as stored (before any Content-Encoding is undone) */
  size: number;
}

export type ArchiveLocation =
  | { kind: 'stream'; object: StoredObject }
  /** a pre-signed GET URL, valid for PRESIGNED_URL_TTL_SECONDS */
  | { kind: 'redirect'; url: string };

/** As the official registry signs them. */
export const PRESIGNED_URL_TTL_SECONDS = 15 * 60;

export interface Storage {
  readonly kind: 'fs' | 's3';
  /** for logs and error messages, e.g. `file system at /srv/pkgs` */
  describe(): string;
  /** Fails unless the store is reachable and usable (fs: root writable; s3: bucket exists). */
  check(): Promise<void>;
  /**
   * Stores `body` under `key`, replacing any previous object. Content type and encoding
   * follow from the key (metaForKey), so both backends serve the same headers.
   */
  put(key: string, body: Buffer): Promise<void>;
  /** null when there is no object under `key` */
  get(key: string): Promise<StoredObject | null>;
  exists(key: string): Promise<boolean>;
  /**
   * How to hand an object to an HTTP client: s3 gives a pre-signed URL to redirect to
   * (unless `proxy`, then it streams like fs). null when the object is missing.
   */
  locateArchive(key: string, opts?: { proxy?: boolean }): Promise<ArchiveLocation | null>;
  /** Every key that starts with `prefix` (plain string prefix, as S3 does), in no set order. */
  listKeys(prefix: string): AsyncIterable<string>;
  /**
   * Like listKeys, with a tag per key that changes whenever the object is replaced (S3's
   * ETag; on the file system inode, size and mtime), so a poller re-reads only what changed.
   */
  listKeysWithTags(prefix: string): AsyncIterable<TaggedKey>;
  /** Removes the object under `key`; a missing object is not an error. */
  delete(key: string): Promise<void>;
}

export interface TaggedKey {
  key: string;
  tag: string;
}

/**
 * The one shape of backend failure: what failed, on which key, and why, on one line.
 * `reason` overrides the cause's own message when the backend can say it better.
 */
export function storageFailure(what: string, cause: unknown, reason?: string): RegistryError {
  const text = reason ?? (cause instanceof Error ? cause.message : String(cause));
  return new RegistryError('storage', `${what}: ${text.replace(/\s+/g, ' ').trim()}`, { cause });
}
