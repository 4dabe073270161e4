/**
 * A publish's uploads end before its claim does: an S3 that stops answering mid-upload is
 * given up at the upload deadline (the request cancelled, nothing published, the claim given
 * back), and when one upload fails, the claim is held until every other upload has ended, so
 * none of ours can land after the next publish of the version has claimed it.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openLocalIndex } from '../../src/index-repo/local-index.js';
import { parsePackageName } from '../../src/index-repo/names.js';
import { publishPackage } from '../../src/publish.js';
import { FsStorage } from '../../src/storage/fs-storage.js';
import { archiveKey, readmeKey } from '../../src/storage/keys.js';
import { createS3Client } from '../../src/storage/s3-client.js';
import { S3Storage } from '../../src/storage/s3-storage.js';
import type { Storage } from '../../src/storage/storage.js';
import { pathExists } from '../../src/path-exists.js';
import { runGit } from '../helpers/git.js';
import { setupIndex, type IndexSetup } from '../helpers/index-setup.js';
import { buildPackage } from '../helpers/package-fixture.js';
import { assertRegistryError } from '../helpers/registry-error.js';

/** An S3 endpoint on 127.0.0.1 that reads each request and never answers it. */
async function stalledS3(): Promise<{ url: string; requests: IncomingMessage[]; closed: Promise<void>; server: Server }> {
  const requests: IncomingMessage[] = [];
  let closed!: () => void;
  const whenClosed = new Promise<void>((resolve) => (closed = resolve));
  const server = createServer((req) => {
    requests.push(req);
    req.resume();
    req.socket.once('close', closed);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests, closed: whenClosed, server };
}

describe('the uploads of a publish', () => {
  let setup: IndexSetup;
  before(async () => {
    setup = await setupIndex({ prefix: 'pesde-upload-deadline-' });
  });
  after(async () => setup?.cleanup());

  const claims = () => runGit(setup.remote, ['for-each-ref', 'refs/registry-claims']);

  it('to an S3 that stops answering end at the deadline: request cancelled, nothing published, claim given back', { timeout: 30_000 }, async () => {
    const s3 = await stalledS3();
    try {
      // without the deadline only the 60 s idle timeout would end the request
      const client = createS3Client({ endpoint: s3.url, region: 'us-east-1', accessKeyId: 'k', secretAccessKey: 's', bucket: 'b' }, { maxAttempts: 1, socketTimeoutMs: 60_000 });
      const storage = new S3Storage({ client, bucket: 'b', endpoint: s3.url });
      const index = await openLocalIndex(setup.clone, { requireRemote: true });
      const tip = await runGit(setup.remote, ['rev-parse', 'main']);
      const archive = await buildPackage({ name: 'stalled/pkg', version: '1.0.0' });
      await assert.rejects(publishPackage({ index, storage, ownIndexUrls: [], uploadDeadlineMs: 1000 }, archive, { publisherId: 0 }), (error: unknown) => {
        assertRegistryError(error, 'storage', /did not finish within 1s; nothing was published/);
        return true;
      });
      assert.ok(s3.requests.length > 0, 'the upload reached the store');
      await s3.closed;
      assert.equal(await runGit(setup.remote, ['rev-parse', 'main']), tip, 'the index did not change');
      assert.equal(await claims(), '', 'the claim was given back');
    } finally {
      s3.server.closeAllConnections();
      s3.server.close();
    }
  });

  it('hold the claim until the last of them has ended when one fails', async () => {
    const fs = new FsStorage(setup.storage);
    const name = parsePackageName('sibling/pkg');
    const id = { version: '1.0.0', target: 'luau' as const };
    let readmeFailed!: () => void;
    const failed = new Promise<void>((resolve) => (readmeFailed = resolve));
    let claimsWhileArchiveWritten: string | undefined;
    // real file storage, except that the README's write fails and the archive's starts only after that
    const storage: Storage = Object.assign(Object.create(fs) as Storage, {
      async put(key: string, body: Buffer, opts?: { signal?: AbortSignal }) {
        if (key === readmeKey(name, id)) {
          readmeFailed();
          throw new Error('disk full');
        }
        if (key === archiveKey(name, id)) {
          await failed;
          await new Promise((resolve) => setTimeout(resolve, 100));
          claimsWhileArchiveWritten = await claims();
        }
        return fs.put(key, body, opts);
      },
    });
    const index = await openLocalIndex(setup.clone, { requireRemote: true });
    const archive = await buildPackage({ name: 'sibling/pkg', version: '1.0.0', files: { 'README.md': '# sibling\n' } });
    await assert.rejects(publishPackage({ index, storage, ownIndexUrls: [] }, archive, { publisherId: 0 }), /disk full/);
    assert.match(claimsWhileArchiveWritten ?? '', /refs\/registry-claims\/sibling\/pkg\/1\.0\.0\/luau/, 'the claim was still held while the archive was being written');
    assert.equal(await pathExists(path.join(setup.storage, archiveKey(name, id))), false, 'the cancelled write left no archive');
    assert.equal(await claims(), '', 'then it was given back');
  });
});
