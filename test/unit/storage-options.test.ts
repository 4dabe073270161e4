import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RegistryError } from '../../src/errors.js';
import { FsStorage } from '../../src/storage/fs-storage.js';
import { S3Storage } from '../../src/storage/s3-storage.js';
import {
  openStorage,
  resolveStorageOptions,
  type StorageFlags,
  type StorageOptions,
} from '../../src/storage/storage-options.js';

const S3_ENV = {
  S3_ENDPOINT: 'http://env-host:9000',
  S3_BUCKET_NAME: 'env-bucket',
  S3_REGION: 'env-region',
  S3_ACCESS_KEY: 'env-access',
  S3_SECRET_KEY: 'env-secret',
};
const S3_FLAGS: StorageFlags = {
  s3Endpoint: 'https://flag-host',
  s3Bucket: 'flag-bucket',
  s3Region: 'flag-region',
  s3AccessKey: 'flag-access',
  s3SecretKey: 'flag-secret',
};

describe('resolveStorageOptions', () => {
  const resolved: Array<{
    why: string;
    flags: StorageFlags;
    env: Record<string, string>;
    expected: StorageOptions | null;
  }> = [
    { why: 'nothing set', flags: {}, env: {}, expected: null },
    { why: 'empty values count as unset', flags: { storageRoot: '' }, env: { FS_STORAGE_ROOT: '' }, expected: null },
    { why: 'FS_STORAGE_ROOT', flags: {}, env: { FS_STORAGE_ROOT: '/env' }, expected: { kind: 'fs', root: '/env' } },
    {
      why: '--storage-root over FS_STORAGE_ROOT',
      flags: { storageRoot: '/flag' },
      env: { FS_STORAGE_ROOT: '/env' },
      expected: { kind: 'fs', root: '/flag' },
    },
    {
      why: 'all S3 variables',
      flags: {},
      env: S3_ENV,
      expected: {
        kind: 's3',
        endpoint: 'http://env-host:9000',
        bucket: 'env-bucket',
        region: 'env-region',
        accessKeyId: 'env-access',
        secretAccessKey: 'env-secret',
      },
    },
    {
      why: 'all S3 flags over all S3 variables',
      flags: S3_FLAGS,
      env: S3_ENV,
      expected: {
        kind: 's3',
        endpoint: 'https://flag-host',
        bucket: 'flag-bucket',
        region: 'flag-region',
        accessKeyId: 'flag-access',
        secretAccessKey: 'flag-secret',
      },
    },
    {
      why: 'S3 flags completed field by field from the environment',
      flags: { s3Bucket: 'flag-bucket' },
      env: S3_ENV,
      expected: {
        kind: 's3',
        endpoint: 'http://env-host:9000',
        bucket: 'flag-bucket',
        region: 'env-region',
        accessKeyId: 'env-access',
        secretAccessKey: 'env-secret',
      },
    },
    {
      why: 'a --storage-root flag over S3 variables',
      flags: { storageRoot: '/flag' },
      env: S3_ENV,
      expected: { kind: 'fs', root: '/flag' },
    },
    {
      why: 'S3 flags over FS_STORAGE_ROOT',
      flags: S3_FLAGS,
      env: { FS_STORAGE_ROOT: '/env' },
      expected: {
        kind: 's3',
        endpoint: 'https://flag-host',
        bucket: 'flag-bucket',
        region: 'flag-region',
        accessKeyId: 'flag-access',
        secretAccessKey: 'flag-secret',
      },
    },
  ];
  for (const c of resolved) {
    it(`resolves ${c.why}`, () => {
      assert.deepEqual(resolveStorageOptions(c.flags, c.env), c.expected);
    });
  }

  const rejected: Array<{
    why: string;
    flags: StorageFlags;
    env: Record<string, string>;
    message: string;
  }> = [
    {
      why: 'an S3 endpoint alone',
      flags: {},
      env: { S3_ENDPOINT: 'http://h' },
      message:
        'S3 storage is missing the bucket (--s3-bucket or S3_BUCKET_NAME), the region ' +
        '(--s3-region or S3_REGION), the access key (--s3-access-key or S3_ACCESS_KEY) and ' +
        'the secret key (--s3-secret-key or S3_SECRET_KEY)',
    },
    {
      why: 'a missing secret key, from flags',
      flags: { ...S3_FLAGS, s3SecretKey: undefined },
      env: {},
      message: 'S3 storage is missing the secret key (--s3-secret-key or S3_SECRET_KEY)',
    },
    {
      why: 'a bucket without an endpoint',
      flags: { s3Bucket: 'b' },
      env: { S3_REGION: 'r', S3_ACCESS_KEY: 'a', S3_SECRET_KEY: 's' },
      message: 'S3 storage is missing the endpoint (--s3-endpoint or S3_ENDPOINT)',
    },
    {
      why: 'both backends in the environment',
      flags: {},
      env: { FS_STORAGE_ROOT: '/env', S3_ENDPOINT: 'http://h', S3_REGION: 'r' },
      message:
        'choose one storage backend: FS_STORAGE_ROOT selects the file system but S3_ENDPOINT ' +
        'and S3_REGION select S3',
    },
    {
      why: 'both backends in flags',
      flags: { storageRoot: '/flag', s3Endpoint: 'http://h' },
      env: {},
      message:
        'choose one storage backend: --storage-root selects the file system but --s3-endpoint selects S3',
    },
    {
      why: 'an endpoint that is not a URL',
      flags: { ...S3_FLAGS, s3Endpoint: 'localhost:9000' },
      env: {},
      message:
        'S3 endpoint "localhost:9000" (--s3-endpoint or S3_ENDPOINT) is not an http(s) URL',
    },
    {
      why: 'an endpoint that is not http',
      flags: { ...S3_FLAGS, s3Endpoint: 'ftp://h' },
      env: {},
      message: 'S3 endpoint "ftp://h" (--s3-endpoint or S3_ENDPOINT) is not an http(s) URL',
    },
  ];
  for (const c of rejected) {
    it(`rejects ${c.why}`, () => {
      assert.throws(
        () => resolveStorageOptions(c.flags, c.env),
        (error: unknown) => {
          assert.ok(error instanceof RegistryError);
          assert.equal(error.kind, 'usage');
          assert.equal(error.message, c.message);
          return true;
        },
      );
    });
  }
});

describe('openStorage', () => {
  it('opens the file system backend at an absolute root', async () => {
    const storage = await openStorage({ kind: 'fs', root: 'relative/root' });
    assert.ok(storage instanceof FsStorage);
    assert.equal(storage.kind, 'fs');
    assert.match(storage.describe(), /^file system at \/.+\/relative\/root$/);
  });

  it('opens the S3 backend without touching the network', async () => {
    const storage = await openStorage({
      kind: 's3',
      endpoint: 'http://127.0.0.1:1',
      bucket: 'b',
      region: 'r',
      accessKeyId: 'a',
      secretAccessKey: 's',
    });
    assert.ok(storage instanceof S3Storage);
    assert.equal(storage.describe(), 'S3 bucket b at http://127.0.0.1:1');
  });
});
