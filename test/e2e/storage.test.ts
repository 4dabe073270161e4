/**
 * One behaviour suite, run against both backends: the file system in a temp directory and
 * S3 against a real s3rver. Then what only one backend can show (outages, atomic writes).
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { RegistryError } from '../../src/errors.js';
import type { PackageName, TargetKind } from '../../src/index-repo/types.js';
import { FsStorage } from '../../src/storage/fs-storage.js';
import { archiveKey, docKey, readmeKey } from '../../src/storage/keys.js';
import { S3Storage } from '../../src/storage/s3-storage.js';
import { createS3Client } from '../../src/storage/s3-client.js';
import { openStorage, resolveStorageOptions } from '../../src/storage/storage-options.js';
import type { Storage } from '../../src/storage/storage.js';
import { startS3, type TestS3 } from '../helpers/s3.js';

const acme: PackageName = { scope: 'acme', name: 'thing', full: 'acme/thing' };
const idOf = (version: string, target: TargetKind = 'lune') => ({ version, target });

async function readAll(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

async function collect(keys: AsyncIterable<string>): Promise<string[]> {
  const all: string[] = [];
  for await (const key of keys) all.push(key);
  return all.sort();
}

function isStorageError(pattern?: RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof RegistryError, `expected a RegistryError, got ${String(error)}`);
    assert.equal(error.kind, 'storage', error.message);
    assert.doesNotMatch(error.message, /\n/);
    if (pattern) assert.match(error.message, pattern);
    return true;
  };
}

async function tempDir(): Promise<string> {
  return mkdtemp(path.join(tmpdir(), 'pesde-storage-'));
}

interface Backend {
  name: 'fs' | 's3';
  open(): Promise<{ storage: Storage; close(): Promise<void> }>;
}

const backends: Backend[] = [
  {
    name: 'fs',
    async open() {
      const root = await tempDir();
      return {
        storage: new FsStorage(root),
        close: () => rm(root, { recursive: true, force: true }),
      };
    },
  },
  {
    name: 's3',
    async open() {
      const s3 = await startS3();
      return {
        storage: new S3Storage({ client: s3.client, bucket: s3.bucket, endpoint: s3.endpoint }),
        close: () => s3.dispose(),
      };
    },
  },
];

for (const backend of backends) {
  describe(`${backend.name} storage`, () => {
    let storage: Storage;
    let close: () => Promise<void>;
    before(async () => {
      ({ storage, close } = await backend.open());
    });
    after(() => close());

    it('passes check()', async () => {
      await storage.check();
      assert.equal(storage.kind, backend.name);
    });

    it('reports a missing object as null, false and no location', async () => {
      const key = archiveKey(acme, idOf('9.9.9'));
      assert.equal(await storage.get(key), null);
      assert.equal(await storage.exists(key), false);
      assert.equal(await storage.locateArchive(key), null);
      assert.equal(await storage.locateArchive(key, { proxy: true }), null);
    });

    it('reads back what it stored, byte for byte', async () => {
      const key = archiveKey(acme, idOf('1.0.0'));
      const bytes = gzipSync(Buffer.from('a tar would be here'));
      await storage.put(key, bytes);
      assert.equal(await storage.exists(key), true);
      const object = await storage.get(key);
      assert.ok(object);
      assert.equal(object.size, bytes.length);
      assert.deepEqual(await readAll(object.body), bytes);
    });

    it('serves archives as application/gzip and README and docs as gzip-encoded text', async () => {
      const archive = archiveKey(acme, idOf('1.1.0'));
      const readme = readmeKey(acme, idOf('1.1.0'));
      const doc = docKey('ab'.repeat(32));
      for (const key of [archive, readme, doc]) await storage.put(key, gzipSync(key));

      const a = await storage.get(archive);
      assert.equal(a?.contentType, 'application/gzip');
      assert.equal(a?.contentEncoding, undefined);
      for (const key of [readme, doc]) {
        const object = await storage.get(key);
        assert.ok(object);
        assert.equal(object.contentType, 'text/plain');
        assert.equal(object.contentEncoding, 'gzip');
        assert.deepEqual(await readAll(object.body), gzipSync(key));
      }
      a?.body.destroy();
    });

    it('replaces an object on a second put', async () => {
      const key = readmeKey(acme, idOf('2.0.0'));
      await storage.put(key, Buffer.from('first, and longer than the second'));
      await storage.put(key, Buffer.from('second'));
      const object = await storage.get(key);
      assert.ok(object);
      assert.equal(object.size, 6);
      assert.equal((await readAll(object.body)).toString(), 'second');
    });

    it('keeps versions with build metadata and pre-releases apart', async () => {
      const versions = ['3.0.0', '3.0.0-rc.1', '3.0.0+build.1', '3.0.0-rc.1+build.2'];
      for (const version of versions) {
        await storage.put(archiveKey(acme, idOf(version)), Buffer.from(version));
      }
      for (const version of versions) {
        const object = await storage.get(archiveKey(acme, idOf(version)));
        assert.ok(object, version);
        assert.equal((await readAll(object.body)).toString(), version);
      }
    });

    it('stores an empty object and a 3 MiB one', async () => {
      const empty = archiveKey(acme, idOf('4.0.0'));
      const big = archiveKey(acme, idOf('4.0.1'));
      const bytes = Buffer.alloc(3 * 1024 * 1024, 7);
      await storage.put(empty, Buffer.alloc(0));
      await storage.put(big, bytes);
      const e = await storage.get(empty);
      assert.equal(e?.size, 0);
      assert.equal((await readAll(e!.body)).length, 0);
      const b = await storage.get(big);
      assert.equal(b?.size, bytes.length);
      assert.ok((await readAll(b!.body)).equals(bytes));
    });

    it('lists keys by string prefix', async () => {
      const other: PackageName = { scope: 'acme', name: 'thingamajig', full: 'acme/thingamajig' };
      const keys = [
        archiveKey(other, idOf('1.0.0', 'roblox')),
        readmeKey(other, idOf('1.0.0', 'roblox')),
        archiveKey({ scope: 'zeta', name: 'x', full: 'zeta/x' }, idOf('0.1.0+b.1', 'luau')),
        docKey('cd'.repeat(32)),
      ];
      for (const key of keys) await storage.put(key, Buffer.from(key));

      const all = await collect(storage.listKeys(''));
      for (const key of keys) assert.ok(all.includes(key), key);
      assert.deepEqual(await collect(storage.listKeys('acme/thingamajig/')), keys.slice(0, 2).sort());
      assert.deepEqual(
        await collect(storage.listKeys('acme/thinga')),
        keys.slice(0, 2).sort(),
        'a partial last segment matches like an S3 prefix',
      );
      assert.deepEqual(await collect(storage.listKeys('zeta/')), [keys[2]]);
      assert.deepEqual(
        (await collect(storage.listKeys('Doc/'))).filter((k) => k === keys[3]),
        [keys[3]],
      );
      assert.deepEqual(await collect(storage.listKeys('nobody/')), []);
      assert.deepEqual(await collect(storage.listKeys('acme/thingamajig/1.0.0/roblox/pkg')), [
        keys[0],
      ]);
    });

    it('lists objects with their size, time and (S3) MD5, and deletes them', async () => {
      const name: PackageName = { scope: 'listing', name: 'sized', full: 'listing/sized' };
      const key = archiveKey(name, idOf('2.0.0'));
      const body = Buffer.from('exactly 23 bytes here!!');
      const before = Date.now() - 2_000;
      await storage.put(key, body);
      await storage.put(readmeKey(name, idOf('2.0.0')), Buffer.from('r'));
      const listed = [];
      for await (const object of storage.listObjects('listing/')) listed.push(object);
      listed.sort((a, b) => a.key.localeCompare(b.key));
      assert.deepEqual(listed.map((o) => [o.key, o.size]), [[key, 23], [readmeKey(name, idOf('2.0.0')), 1]]);
      const archive = listed[0]!;
      assert.ok(archive.modified.getTime() >= before && archive.modified.getTime() <= Date.now() + 2_000, archive.modified.toISOString());
      if (backend.name === 's3') assert.equal(archive.md5, createHash('md5').update(body).digest('hex'));
      else assert.equal(archive.md5, undefined);

      await storage.delete(key);
      await storage.delete(key);
      assert.equal(await storage.exists(key), false);
      assert.deepEqual(await collect(storage.listKeys('listing/')), [readmeKey(name, idOf('2.0.0'))]);
      await storage.delete(readmeKey(name, idOf('2.0.0')));
      assert.deepEqual(await collect(storage.listKeys('listing/')), []);
      const many = Array.from({ length: 30 }, (_, i) => archiveKey(name, idOf(`3.0.${i}`)));
      for (const k of many) await storage.put(k, Buffer.from(k));
      await storage.deleteMany([...many.slice(0, 20), archiveKey(name, idOf('9.9.9'))]);
      assert.deepEqual(await collect(storage.listKeys('listing/')), many.slice(20).sort());
      await storage.deleteMany(many.slice(20));
      assert.deepEqual(await collect(storage.listKeys('listing/')), []);
      await assert.rejects(storage.delete('../escape'), (e: unknown) => e instanceof RegistryError && e.kind === 'invalid_input');
    });

    it('rejects keys that could leave the store before touching it', async () => {
      const invalid = (error: unknown) =>
        error instanceof RegistryError && error.kind === 'invalid_input';
      for (const key of ['../outside', 'a/../../b', '/abs', 'a/.hidden', '']) {
        await assert.rejects(storage.put(key, Buffer.from('x')), invalid, key);
        await assert.rejects(storage.get(key), invalid, key);
        await assert.rejects(storage.exists(key), invalid, key);
        await assert.rejects(storage.locateArchive(key), invalid, key);
      }
      await assert.rejects(collect(storage.listKeys('../')), invalid);
    });

    it('survives concurrent puts to one key: one of them wins whole', async () => {
      const key = archiveKey(acme, idOf('5.0.0'));
      const bodies = Array.from({ length: 8 }, (_, i) => Buffer.alloc(64 * 1024, i));
      await Promise.all(bodies.map((body) => storage.put(key, body)));
      const stored = await readAll((await storage.get(key))!.body);
      assert.ok(bodies.some((body) => body.equals(stored)));
      assert.deepEqual(await collect(storage.listKeys('acme/thing/5.0.0/')), [key]);
    });

    it('proxies an archive as a stream when asked to', async () => {
      const key = archiveKey(acme, idOf('6.0.0'));
      const bytes = gzipSync(Buffer.from('proxied'));
      await storage.put(key, bytes);
      const location = await storage.locateArchive(key, { proxy: true });
      assert.equal(location?.kind, 'stream');
      assert.ok(location.kind === 'stream');
      assert.equal(location.object.size, bytes.length);
      assert.equal(location.object.contentType, 'application/gzip');
      assert.deepEqual(await readAll(location.object.body), bytes);
    });

    it(
      backend.name === 's3'
        ? 'redirects to a pre-signed URL that downloads the archive'
        : 'streams the archive',
      async () => {
        const key = archiveKey(acme, idOf('6.1.0-beta+sha.1'));
        const bytes = gzipSync(Buffer.from('downloaded'));
        await storage.put(key, bytes);
        const location = await storage.locateArchive(key);
        assert.ok(location);
        if (backend.name === 'fs') {
          assert.equal(location.kind, 'stream');
          assert.ok(location.kind === 'stream');
          assert.deepEqual(await readAll(location.object.body), bytes);
          return;
        }
        assert.equal(location.kind, 'redirect');
        assert.ok(location.kind === 'redirect');
        const url = new URL(location.url);
        assert.equal(url.searchParams.get('X-Amz-Expires'), '900');
        assert.match(url.pathname, /\/acme\/thing\/6\.1\.0-beta%2Bsha\.1\/lune\/pkg\.tar\.gz$/);
        const response = await fetch(location.url);
        assert.equal(response.status, 200);
        assert.equal(response.headers.get('content-type'), 'application/gzip');
        assert.deepEqual(Buffer.from(await response.arrayBuffer()), bytes);
      },
    );
  });
}

describe('fs storage on disk', () => {
  let root: string;
  before(async () => {
    root = await tempDir();
  });
  after(() => rm(root, { recursive: true, force: true }));

  async function filesUnder(dir: string): Promise<string[]> {
    const entries = await readdir(dir, { recursive: true, withFileTypes: true });
    return entries
      .filter((e) => e.isFile())
      .map((e) => path.relative(dir, path.join(e.parentPath ?? e.path, e.name)))
      .sort();
  }

  it('lays files out as the official registry does, with no temp files left', async () => {
    const storage = new FsStorage(path.join(root, 'layout'));
    const id = idOf('1.0.0-rc.1+build.5', 'roblox_server');
    await storage.put(archiveKey(acme, id), Buffer.from('a'));
    await storage.put(readmeKey(acme, id), Buffer.from('r'));
    await storage.put(readmeKey(acme, id), Buffer.from('r2'));
    await storage.put(docKey('0f'.repeat(32)), Buffer.from('d'));
    assert.deepEqual(await filesUnder(path.join(root, 'layout')), [
      `Doc/${'0f'.repeat(32)}.gz`,
      'acme/thing/1.0.0-rc.1+build.5/roblox_server/pkg.tar.gz',
      'acme/thing/1.0.0-rc.1+build.5/roblox_server/readme.gz',
    ]);
  });

  it('serves what an older writer left, and skips its temp files when listing', async () => {
    const dir = path.join(root, 'legacy', 'acme', 'thing', '1.0.0', 'lune');
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'pkg.tar.gz'), 'legacy');
    await writeFile(path.join(dir, '.pkg.tar.gz.0123456789ab.tmp'), 'half');
    const storage = new FsStorage(path.join(root, 'legacy'));
    assert.deepEqual(await collect(storage.listKeys('')), ['acme/thing/1.0.0/lune/pkg.tar.gz']);
    const object = await storage.get('acme/thing/1.0.0/lune/pkg.tar.gz');
    assert.equal((await readAll(object!.body)).toString(), 'legacy');
  });

  it('keeps a reader on the old bytes while a put replaces the object', async () => {
    const storage = new FsStorage(path.join(root, 'replace'));
    const key = archiveKey(acme, idOf('1.0.0'));
    const before = Buffer.alloc(256 * 1024, 1);
    await storage.put(key, before);
    const reading = await storage.get(key);
    await storage.put(key, Buffer.alloc(10, 2));
    assert.equal(reading?.size, before.length);
    assert.ok((await readAll(reading!.body)).equals(before));
  });

  it('leaves no temp file behind when a write fails', async () => {
    const storageRoot = path.join(root, 'failing');
    const storage = new FsStorage(storageRoot);
    // A directory where the object should go makes the final rename fail.
    const key = archiveKey(acme, idOf('1.0.0'));
    await mkdir(path.join(storageRoot, key, 'blocker'), { recursive: true });
    await assert.rejects(
      storage.put(key, Buffer.from('new')),
      isStorageError(/^could not write acme\/thing\/1\.0\.0\/lune\/pkg\.tar\.gz to file system at /),
    );
    assert.deepEqual(await filesUnder(storageRoot), []);
  });

  it('fails with a storage error when the root is a file', async () => {
    const file = path.join(root, 'not-a-dir');
    await writeFile(file, 'x');
    const storage = new FsStorage(file);
    await assert.rejects(storage.check(), isStorageError(/is not a writable directory: .*(EEXIST|ENOTDIR)/));
    await assert.rejects(
      storage.put(archiveKey(acme, idOf('1.0.0')), Buffer.from('x')),
      isStorageError(/ENOTDIR|EEXIST/),
    );
    // Nothing can be under a file, so reads say "missing" rather than fail.
    assert.equal(await storage.get(archiveKey(acme, idOf('1.0.0'))), null);
    assert.equal(await storage.exists(archiveKey(acme, idOf('1.0.0'))), false);
  });

  it(
    'fails with a storage error when the root is not writable',
    { skip: process.getuid?.() === 0 ? 'root can write anywhere' : false },
    async () => {
      const readOnly = path.join(root, 'read-only');
      await mkdir(readOnly, { mode: 0o555 });
      const storage = new FsStorage(readOnly);
      await assert.rejects(storage.check(), isStorageError(/EACCES/));
      await assert.rejects(
        storage.put(archiveKey(acme, idOf('1.0.0')), Buffer.from('x')),
        isStorageError(/EACCES/),
      );
    },
  );
});

describe('s3 storage against an unreliable server', () => {
  let s3: TestS3;
  let storage: S3Storage;
  before(async () => {
    s3 = await startS3();
    storage = new S3Storage({ client: s3.client, bucket: s3.bucket, endpoint: s3.endpoint });
  });
  after(() => s3.dispose());

  it('fails fast with a storage error while S3 is down, and recovers after', async () => {
    const key = archiveKey(acme, idOf('1.0.0'));
    await storage.put(key, Buffer.from('kept'));
    await s3.stop();
    try {
      const operations: Array<[string, () => Promise<unknown>]> = [
        ['put', () => storage.put(key, Buffer.from('x'))],
        ['get', () => storage.get(key)],
        ['exists', () => storage.exists(key)],
        ['locateArchive', () => storage.locateArchive(key)],
        ['locateArchive proxy', () => storage.locateArchive(key, { proxy: true })],
        ['listKeys', () => collect(storage.listKeys('acme/'))],
        ['check', () => storage.check()],
      ];
      for (const [name, operation] of operations) {
        const started = performance.now();
        await assert.rejects(operation(), isStorageError(/ECONNREFUSED/), name);
        const elapsed = performance.now() - started;
        assert.ok(elapsed < 3000, `${name} took ${Math.round(elapsed)} ms`);
      }
      await assert.rejects(
        storage.get(key),
        isStorageError(
          new RegExp(
            '^could not read acme/thing/1\\.0\\.0/lune/pkg\\.tar\\.gz from S3 bucket pesde-test ' +
              'at http://127\\.0\\.0\\.1:\\d+: connect ECONNREFUSED \\S+ \\(2 attempts\\)$',
          ),
        ),
      );
    } finally {
      await s3.restart();
    }
    const object = await storage.get(key);
    assert.equal((await readAll(object!.body)).toString(), 'kept');
  });

  it('fails a down store within seconds with the default client settings too', async () => {
    const options = resolveStorageOptions({}, s3.env);
    assert.ok(options);
    const defaults = await openStorage(options);
    await defaults.check();
    await s3.stop();
    try {
      const started = performance.now();
      await assert.rejects(
        defaults.exists(archiveKey(acme, idOf('1.0.0'))),
        isStorageError(/\(3 attempts\)/),
      );
      assert.ok(performance.now() - started < 5000);
    } finally {
      await s3.restart();
    }
  });

  it('gives up on a server that accepts connections but never answers', async () => {
    const sockets = new Set<Socket>();
    const silent: Server = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    const client = createS3Client(
      { ...s3, endpoint: `http://127.0.0.1:${port}` },
      { maxAttempts: 2, connectionTimeoutMs: 500, socketTimeoutMs: 300 },
    );
    const hung = new S3Storage({ client, bucket: s3.bucket, endpoint: `http://127.0.0.1:${port}` });
    try {
      const started = performance.now();
      await assert.rejects(hung.exists('acme/thing/1.0.0/lune/pkg.tar.gz'), isStorageError());
      assert.ok(performance.now() - started < 3000);
    } finally {
      client.destroy();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('says so when the bucket does not exist', async () => {
    const missing = new S3Storage({
      client: s3.client,
      bucket: 'no-such-bucket',
      endpoint: s3.endpoint,
    });
    await assert.rejects(
      missing.check(),
      isStorageError(/^S3 bucket no-such-bucket at \S+ does not exist: HTTP 404/),
    );
    await assert.rejects(missing.get('a/b'), isStorageError(/NoSuchBucket/));
  });

  it('serves objects the official registry uploaded with the headers they carry', async () => {
    // The official registry marks archives Content-Encoding: gzip.
    const key = archiveKey(acme, idOf('7.0.0'));
    await s3.client.send(
      new PutObjectCommand({
        Bucket: s3.bucket,
        Key: key,
        Body: Buffer.from('legacy'),
        ContentType: 'application/gzip',
        ContentEncoding: 'gzip',
      }),
    );
    const object = await storage.get(key);
    assert.equal(object?.contentEncoding, 'gzip');
    assert.equal(object?.contentType, 'application/gzip');
    assert.equal((await readAll(object!.body)).toString(), 'legacy');
  });

  it('pages through more keys than one listing returns', async () => {
    const many = Array.from({ length: 1005 }, (_, i) => `paging/${String(i).padStart(4, '0')}`);
    // batches small enough that a loaded machine's s3rver accepts them within the client's connect timeout
    for (let i = 0; i < many.length; i += 20) {
      await Promise.all(many.slice(i, i + 20).map((key) => storage.put(key, Buffer.from('x'))));
    }
    assert.deepEqual(await collect(storage.listKeys('paging/')), many);
  });
});
