/**
 * Objects in an S3 bucket (or any S3-compatible store), under the same keys as the file
 * system backend. The client is passed in, built by openStorage, so tests drive this
 * class against a real S3 API instead of a mocked SDK.
 */
import { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { assertSafeKey, assertSafePrefix, metaForKey } from './keys.js';
import {
  PRESIGNED_URL_TTL_SECONDS,
  storageFailure,
  type ArchiveLocation,
  type ObjectInfo,
  type Storage,
  type StoredObject,
} from './storage.js';

export interface S3StorageOptions {
  client: S3Client;
  bucket: string;
  /** only for describe(): the client knows the endpoint it talks to */
  endpoint: string;
}

export class S3Storage implements Storage {
  readonly kind = 's3' as const;
  readonly bucket: string;
  private readonly client: S3Client;
  private readonly endpoint: string;

  constructor(options: S3StorageOptions) {
    this.client = options.client;
    this.bucket = options.bucket;
    this.endpoint = options.endpoint;
  }

  describe(): string {
    return `S3 bucket ${this.bucket} at ${this.endpoint}`;
  }

  async check(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
    } catch (error) {
      const what = isMissingObject(error)
        ? `${this.describe()} does not exist`
        : `could not reach ${this.describe()}`;
      throw this.failure(what, error);
    }
  }

  async put(key: string, body: Buffer, opts: { signal?: AbortSignal } = {}): Promise<void> {
    const meta = metaForKey(assertSafeKey(key));
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: body,
          ContentLength: body.length,
          ContentType: meta.contentType,
          ContentEncoding: meta.contentEncoding,
        }),
        { abortSignal: opts.signal },
      );
    } catch (error) {
      throw this.failure(`could not write ${key} to ${this.describe()}`, error);
    }
  }

  async get(key: string): Promise<StoredObject | null> {
    assertSafeKey(key);
    try {
      const response = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: key }),
      );
      // In Node the SDK hands back the HTTP response stream itself.
      if (!(response.Body instanceof Readable)) {
        throw new Error('the response has no readable body');
      }
      // Headers come from the object, not the key: objects the official registry
      // uploaded (archives marked Content-Encoding: gzip) are proxied as it served them.
      return {
        body: response.Body,
        size: response.ContentLength ?? 0,
        contentType: response.ContentType ?? metaForKey(key).contentType,
        ...(response.ContentEncoding ? { contentEncoding: response.ContentEncoding } : {}),
      };
    } catch (error) {
      if (isMissingObject(error)) return null;
      throw this.failure(`could not read ${key} from ${this.describe()}`, error);
    }
  }

  async exists(key: string): Promise<boolean> {
    assertSafeKey(key);
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return true;
    } catch (error) {
      // A HEAD answer has no body, so a missing bucket also looks like this; check()
      // at startup is what tells the two apart.
      if (isMissingObject(error)) return false;
      throw this.failure(`could not check ${key} in ${this.describe()}`, error);
    }
  }

  async locateArchive(
    key: string,
    opts: { proxy?: boolean } = {},
  ): Promise<ArchiveLocation | null> {
    if (opts.proxy) {
      const object = await this.get(key);
      return object && { kind: 'stream', object };
    }
    // Signing needs no network, so without this a missing object or an S3 outage would
    // only show up as an S3 error page after the redirect; this way it is our 404 or 502.
    if (!(await this.exists(key))) return null;
    try {
      const url = await getSignedUrl(
        this.client,
        new GetObjectCommand({ Bucket: this.bucket, Key: key }),
        { expiresIn: PRESIGNED_URL_TTL_SECONDS },
      );
      return { kind: 'redirect', url };
    } catch (error) {
      throw this.failure(`could not sign a download URL for ${key} in ${this.describe()}`, error);
    }
  }

  async *listKeys(prefix: string): AsyncIterable<string> {
    for await (const object of this.listObjects(prefix)) yield object.key;
  }

  async *listObjects(prefix: string): AsyncIterable<ObjectInfo> {
    assertSafePrefix(prefix);
    // ListObjects (v1) paged by Marker rather than v2 continuation tokens: every
    // S3-compatible store has it, and s3rver cannot mint v2 tokens on Node >= 17 (it
    // encrypts them with DES), so v2 would leave paging untested. Without a delimiter the
    // next marker is simply the last key of the page.
    let marker: string | undefined;
    for (;;) {
      let page;
      try {
        page = await this.client.send(
          new ListObjectsCommand({ Bucket: this.bucket, Prefix: prefix, Marker: marker }),
        );
      } catch (error) {
        throw this.failure(`could not list ${prefix || 'all keys'} in ${this.describe()}`, error);
      }
      const contents = page.Contents ?? [];
      for (const object of contents) {
        if (object.Key === undefined) continue;
        const md5 = object.ETag?.replace(/"/g, '').toLowerCase();
        yield {
          key: object.Key,
          size: object.Size ?? 0,
          modified: object.LastModified ?? new Date(0),
          // a multipart upload's ETag is `<hash>-<parts>`, not the MD5 of the bytes
          ...(md5 !== undefined && /^[0-9a-f]{32}$/.test(md5) ? { md5 } : {}),
        };
      }
      marker = page.NextMarker ?? contents.at(-1)?.Key;
      if (!page.IsTruncated || marker === undefined) return;
    }
  }

  async delete(key: string): Promise<void> {
    assertSafeKey(key);
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
    } catch (error) {
      if (isMissingObject(error)) return;
      throw this.failure(`could not delete ${key} from ${this.describe()}`, error);
    }
  }

  async deleteMany(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    for (const key of keys) assertSafeKey(key);
    let answer;
    try {
      answer = await this.client.send(
        new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true } }),
      );
    } catch (error) {
      throw this.failure(`could not delete ${keys.length} objects (from ${keys[0]}) from ${this.describe()}`, error);
    }
    const refused = (answer.Errors ?? []).filter((e) => e.Code !== 'NoSuchKey');
    if (refused.length > 0) {
      const first = refused[0]!;
      throw storageFailure(`could not delete ${first.Key ?? 'an object'} from ${this.describe()}`, null, `${first.Code ?? 'error'}: ${first.Message ?? ''} (${refused.length} of ${keys.length} refused)`);
    }
  }

  private failure(what: string, error: unknown) {
    return storageFailure(what, error, describeS3Error(error));
  }
}

interface SdkErrorFields {
  name?: string;
  message?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number; attempts?: number };
}

function isMissingObject(error: unknown): boolean {
  const fields = error as SdkErrorFields | undefined;
  if (fields?.name === 'NoSuchBucket') return false;
  return fields?.name === 'NoSuchKey' || fields?.$metadata?.httpStatusCode === 404;
}

/** e.g. `HTTP 403 AccessDenied: Access Denied` or `connect ECONNREFUSED ... (3 attempts)` */
function describeS3Error(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const fields = error as SdkErrorFields;
  const status = fields.$metadata?.httpStatusCode;
  const attempts = fields.$metadata?.attempts;
  // Some S3-compatible servers answer errors without a body, leaving the SDK to say
  // "UnknownError"; the status code is then the only useful part.
  let text = status === undefined ? error.message : `HTTP ${status} ${error.name}: ${error.message}`;
  if (attempts !== undefined && attempts > 1) text += ` (${attempts} attempts)`;
  return text;
}
