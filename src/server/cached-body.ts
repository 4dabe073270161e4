/**
 * A response body rendered once and served many times: the text, its bytes, and (made on
 * first demand) its gzip form, so repeated requests cost neither serialising nor compressing.
 */
import { gzipSync } from 'node:zlib';

/** Below this, gzip saves less than its own headers and the CPU it costs. */
const MIN_GZIP_BYTES = 1024;

export class CachedBody {
  readonly text: string;
  readonly bytes: Buffer;
  private gzipped: Buffer | null | undefined;

  constructor(text: string) {
    this.text = text;
    this.bytes = Buffer.from(text);
  }

  /** null when compressing is not worth it */
  gzip(): Buffer | null {
    if (this.gzipped === undefined) {
      this.gzipped = this.bytes.length < MIN_GZIP_BYTES ? null : gzipSync(this.bytes, { level: 6 });
    }
    return this.gzipped;
  }
}
