/**
 * A response body rendered once and served many times: the text, its bytes, (made on first
 * demand) its gzip form, and the header lists of answers carrying it, so repeated requests
 * cost neither serialising, compressing, nor setting headers one by one.
 */
import { gzipSync } from 'node:zlib';

/** Below this, gzip saves less than its own headers and the CPU it costs. */
const MIN_GZIP_BYTES = 1024;

/** zlib's default, for a body served many times (package metadata): its smaller form pays back. */
const KEPT_GZIP_LEVEL = 6;

/**
 * For a body made for one request or a few (a search page, an error, a health report), whose
 * compression is on the request's own clock: on the fixture index's search pages (19-29 KB)
 * level 3 took 86-137 µs where 6 took 130-327 µs, for 5-7 % more bytes.
 */
export const FRESH_GZIP_LEVEL = 3;

/** Told how many bytes a body holds as they are allocated, for a cache that bounds its memory. */
export type GrowthListener = (bytes: number) => void;

export class CachedBody {
  readonly bytes: Buffer;
  /** given, or decoded from the bytes on first use (a body a worker thread rendered comes as bytes) */
  private textValue: string | undefined;
  private gzipped: Buffer | null | undefined;
  private readonly grew: GrowthListener | undefined;
  /** by variant: [identity, gzip] */
  private readonly headerLists: [readonly string[] | undefined, readonly string[] | undefined] = [undefined, undefined];

  /**
   * `body` is the text, or its UTF-8 bytes (used as they are, not copied); `gzipped`, when
   * given, is the gzip form made elsewhere (a worker thread), null for none
   */
  constructor(
    body: string | Uint8Array,
    grew?: GrowthListener,
    gzipped?: Uint8Array | null,
    private readonly gzipLevel = KEPT_GZIP_LEVEL,
  ) {
    if (typeof body === 'string') {
      this.textValue = body;
      this.bytes = Buffer.from(body);
    } else {
      this.bytes = Buffer.from(body.buffer, body.byteOffset, body.length);
    }
    this.grew = grew;
    if (gzipped !== undefined) this.gzipped = gzipped === null ? null : Buffer.from(gzipped.buffer, gzipped.byteOffset, gzipped.length);
    grew?.((this.textValue?.length ?? 0) + this.bytes.length + (this.gzipped?.length ?? 0));
  }

  get text(): string {
    if (this.textValue === undefined) {
      this.textValue = this.bytes.toString('utf8');
      this.grew?.(this.textValue.length);
    }
    return this.textValue;
  }

  /** A body made for one request or a few, compressed (when asked) at FRESH_GZIP_LEVEL. */
  static fresh(text: string, grew?: GrowthListener): CachedBody {
    return new CachedBody(text, grew, undefined, FRESH_GZIP_LEVEL);
  }

  /** whether gzip() gives a compressed form, known without compressing */
  get compressible(): boolean {
    return this.bytes.length >= MIN_GZIP_BYTES;
  }

  /** null when compressing is not worth it */
  gzip(): Buffer | null {
    if (this.gzipped === undefined) {
      this.gzipped = this.compressible ? gzipSync(this.bytes, { level: this.gzipLevel }) : null;
      if (this.gzipped !== null) this.grew?.(this.gzipped.length);
    }
    return this.gzipped;
  }

  /** The header list `make` gives for this body, made once per variant (identity or gzip) and kept with it. */
  headers(gzipped: boolean, make: (body: CachedBody, gzipped: boolean) => string[]): readonly string[] {
    const variant = gzipped ? 1 : 0;
    let list = this.headerLists[variant];
    if (list === undefined) {
      list = make(this, gzipped);
      this.headerLists[variant] = list;
      this.grew?.(list.reduce((n, s) => n + s.length, 0));
    }
    return list;
  }
}
