/** CachedBody's gzip forms: kept bodies at zlib's default level, fresh ones at the faster level, both the same text. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import { CachedBody, FRESH_GZIP_LEVEL } from '../../src/server/cached-body.js';

const text = JSON.stringify({ data: Array.from({ length: 200 }, (_, i) => ({ name: `scope_${i}/pkg_${i * 7}`, description: `package number ${i} of many` })) });

describe('CachedBody gzip', () => {
  it('compresses a kept body at level 6 and a fresh one at FRESH_GZIP_LEVEL, both to the same text', () => {
    const kept = new CachedBody(text).gzip();
    const fresh = CachedBody.fresh(text).gzip();
    assert.ok(kept !== null && fresh !== null);
    assert.deepEqual(kept, gzipSync(Buffer.from(text), { level: 6 }));
    assert.deepEqual(fresh, gzipSync(Buffer.from(text), { level: FRESH_GZIP_LEVEL }));
    assert.notDeepEqual(fresh, kept);
    assert.equal(gunzipSync(fresh).toString(), text);
    assert.equal(gunzipSync(kept).toString(), text);
  });

  it('compresses nothing under 1 KiB, at any level', () => {
    assert.equal(CachedBody.fresh('{"a":1}').gzip(), null);
  });
});

describe('CachedBody from bytes (a body a worker thread rendered)', () => {
  it('serves the bytes it was given without copying them, decodes its text only when asked, and counts each as it is made', () => {
    const bytes = new TextEncoder().encode(`${text}é`);
    const counted: number[] = [];
    const body = new CachedBody(bytes, (n) => counted.push(n));
    assert.equal(body.bytes.buffer, bytes.buffer);
    assert.equal(body.bytes.length, bytes.length);
    assert.deepEqual(counted, [bytes.length]);
    assert.equal(body.text, `${text}é`);
    assert.equal(body.text, `${text}é`);
    assert.deepEqual(counted, [bytes.length, text.length + 1]);
    assert.equal(gunzipSync(body.gzip()!).toString(), `${text}é`);
  });
});
