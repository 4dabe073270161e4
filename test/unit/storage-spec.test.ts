/**
 * The `--from` / `--to` storage values of `storage copy` and the metrics settings of
 * `serve`: what each form means, where keys come from, and one clear refusal per mistake
 * (never echoing a key).
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { RegistryError } from '../../src/errors.js';
import { resolveMetricsSettings } from '../../src/metrics/metrics-settings.js';
import { parseStorageSpec, storagesOverlap } from '../../src/storage/storage-spec.js';

const usage = (pattern: RegExp) => (error: unknown) => error instanceof RegistryError && error.kind === 'usage' && pattern.test(error.message);

describe('storage specs', () => {
  it('reads fs:<dir> and bare paths relative to the working directory', () => {
    assert.deepEqual(parseStorageSpec('--from', 'fs:/srv/a', {}), { kind: 'fs', root: '/srv/a' });
    assert.deepEqual(parseStorageSpec('--from', 'rel/b', {}, '/work'), { kind: 'fs', root: path.resolve('/work/rel/b') });
    assert.throws(() => parseStorageSpec('--to', 'fs:', {}), usage(/--to: fs: needs a folder/));
    assert.throws(() => parseStorageSpec('--to', 'gs://bucket', {}), usage(/only fs:<dir> and s3:\/\//));
  });

  it('reads s3://bucket with endpoint and region, keys from the side first, then the shared variables', () => {
    const env = { FROM_S3_ACCESS_KEY: 'from-id', FROM_S3_SECRET_KEY: 'from-secret', S3_ACCESS_KEY: 'id', S3_SECRET_KEY: 'secret', S3_REGION: 'eu-1' };
    assert.deepEqual(parseStorageSpec('--from', 's3://b1?endpoint=http://127.0.0.1:9000&region=us-east-1', env), {
      kind: 's3', endpoint: 'http://127.0.0.1:9000', bucket: 'b1', region: 'us-east-1', accessKeyId: 'from-id', secretAccessKey: 'from-secret',
    });
    assert.deepEqual(parseStorageSpec('--to', 's3://b2', { ...env, TO_S3_ENDPOINT: 'https://s3.example.com' }), {
      kind: 's3', endpoint: 'https://s3.example.com', bucket: 'b2', region: 'eu-1', accessKeyId: 'id', secretAccessKey: 'secret',
    });
  });

  it('refuses keys in the value, unknown settings, missing parts and a bad endpoint without echoing them', () => {
    for (const spec of ['s3://id:hunter2@b?endpoint=http://x&region=r', 's3://id@b?endpoint=http://x&region=r']) {
      assert.throws(() => parseStorageSpec('--to', spec, {}), (e: unknown) => usage(/put no keys in the value/)(e) && !(e as Error).message.includes('hunter2') && !(e as Error).message.includes('id@'));
    }
    assert.throws(() => parseStorageSpec('--to', 's3://b?token=hunter2', {}), (e: unknown) => usage(/unknown setting "token"/)(e) && !(e as Error).message.includes('hunter2'));
    assert.throws(() => parseStorageSpec('--to', 's3://b/sub?endpoint=http://x&region=r', {}), usage(/name just a bucket/));
    assert.throws(() => parseStorageSpec('--to', 's3://b', {}), usage(/missing the endpoint .*, the region .*, the access key .*, the secret key/));
    const keys = { S3_ACCESS_KEY: 'a', S3_SECRET_KEY: 's' };
    assert.throws(() => parseStorageSpec('--to', 's3://b?endpoint=ftp://x&region=r', keys), usage(/not an http\(s\) URL/));
    assert.throws(() => parseStorageSpec('--to', `s3://b?endpoint=${encodeURIComponent('http://u:hunter2@x')}&region=r`, keys), (e: unknown) => usage(/without credentials/)(e) && !(e as Error).message.includes('hunter2'));
  });

  it('tells overlapping storages apart from distinct ones', async () => {
    const s3 = (endpoint: string, bucket: string) => ({ kind: 's3' as const, endpoint, bucket, region: 'r', accessKeyId: 'a', secretAccessKey: 's' });
    assert.equal(await storagesOverlap(s3('http://H:1/', 'b'), s3('http://h:1', 'b')), true);
    assert.equal(await storagesOverlap(s3('http://h:1', 'b'), s3('http://h:1', 'c')), false);
    assert.equal(await storagesOverlap(s3('http://h:1', 'b'), s3('http://h:2', 'b')), false);
    assert.equal(await storagesOverlap({ kind: 'fs', root: '/tmp/x/../y' }, { kind: 'fs', root: '/tmp/y/z' }), true);
    assert.equal(await storagesOverlap({ kind: 'fs', root: '/tmp/y' }, { kind: 'fs', root: '/tmp/yz' }), false);
    assert.equal(await storagesOverlap({ kind: 'fs', root: '/tmp/y' }, s3('http://h:1', 'b')), false);
  });
});

describe('metrics settings', () => {
  it('is on by default, with a token, an address or off', () => {
    assert.deepEqual(resolveMetricsSettings({}, {}), { enabled: true, token: null, address: null });
    assert.deepEqual(resolveMetricsSettings({ metricsAddress: '10.0.0.5:9464' }, { METRICS_TOKEN: 'x'.repeat(16) }), { enabled: true, token: 'x'.repeat(16), address: { host: '10.0.0.5', port: 9464 } });
    assert.deepEqual(resolveMetricsSettings({}, { METRICS_ADDRESS: '[::1]:9000' }).address, { host: '::1', port: 9000 });
    assert.deepEqual(resolveMetricsSettings({ metrics: false }, {}), { enabled: false, token: null, address: null });
    assert.equal(resolveMetricsSettings({}, { METRICS: 'off' }).enabled, false);
  });

  it('refuses a short token, a bad address and off with an address', () => {
    assert.throws(() => resolveMetricsSettings({}, { METRICS_TOKEN: 'short' }), usage(/METRICS_TOKEN is too short/));
    assert.throws(() => resolveMetricsSettings({ metricsAddress: '9464' }, {}), usage(/is not <host>:<port>/));
    assert.throws(() => resolveMetricsSettings({ metricsAddress: 'h:99999' }, {}), usage(/is not <host>:<port>/));
    assert.throws(() => resolveMetricsSettings({ metrics: false, metricsAddress: 'h:1' }, {}), usage(/contradict/));
  });
});
