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

/** One entry of a listing: what `gc` and `storage copy` decide on without reading the object. */
export interface ObjectInfo {
  key: string;
  /** bytes as stored */
  size: number;
  /** last write (fs mtime, S3 LastModified) */
  modified: Date;
  /** hex MD5 of the bytes when the listing carries it for free (an S3 ETag of a single-part upload) */
  md5?: string;
}

export type ArchiveLocation =
  | { kind: 'stream'; object: StoredObject }
  /** a pre-signed GET URL, valid for PRESIGNED_URL_TTL_SECONDS */
  | { kind: 'redirect'; url: string };

/** The most keys one S3 DeleteObjects request takes. */
export const DELETE_BATCH = 1000;

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
   * follow from the key (metaForKey), so both backends serve the same headers. Once `signal`
   * aborts, the put fails: fs never replaces the object then (its rename is the last step),
   * s3 cancels the request (S3 may still keep a body it had received in full).
   */
  put(key: string, body: Buffer, opts?: { signal?: AbortSignal }): Promise<void>;
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
  /** Like listKeys, with sizes and times from the same listing (fs: one stat per file). */
  listObjects(prefix: string): AsyncIterable<ObjectInfo>;
  /** Removes the object; nothing happens when there is none. */
  delete(key: string): Promise<void>;
  /** Removes up to DELETE_BATCH objects in as few requests as the backend allows (S3: one). */
  deleteMany(keys: readonly string[]): Promise<void>;
}

/**
 * The one shape of backend failure: what failed, on which key, and why, on one line.
 * `reason` overrides the cause's own message when the backend can say it better.
 */
export function storageFailure(what: string, cause: unknown, reason?: string): RegistryError {
  const text = reason ?? (cause instanceof Error ? cause.message : String(cause));
  return new RegistryError('storage', `${what}: ${text.replace(/\s+/g, ' ').trim()}`, { cause });
}
