/**
 * One winner per version, across every writer: two replicas on one remote (and a replica
 * and a CLI) publishing the same name@version@target with different bytes at the same
 * moment. Exactly one is told 200, the other 409, and storage holds the winner's archive
 * and README, for file storage and for S3 (s3rver). Identical bytes (a re-run CI job) are a
 * plain 409 for the second.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { buffer } from 'node:stream/consumers';
import { gunzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { parsePackageName } from '../../src/index-repo/names.js';
import { archiveKey, readmeKey } from '../../src/storage/keys.js';
import type { Storage } from '../../src/storage/storage.js';
import { cli } from '../helpers/cli.js';
import { runGit } from '../helpers/git.js';
import { startTestServer, type TestServer } from '../helpers/http.js';
import { setupIndex, type IndexSetup } from '../helpers/index-setup.js';
import { buildPackage, writePackage, type PackageSpec } from '../helpers/package-fixture.js';
import { startS3, type TestS3 } from '../helpers/s3.js';

const ROUNDS = 10;

async function stored(storage: Storage, key: string): Promise<Buffer | null> {
  const object = await storage.get(key);
  return object === null ? null : buffer(object.body);
}

function specFor(round: number, who: string): PackageSpec {
  return { name: `duel/pkg_${round}`, version: '1.0.0', files: { 'README.md': `# published by ${who} in round ${round}\n` } };
}

const publish = (replica: TestServer, archive: Buffer) =>
  replica.get('/v1/packages', { method: 'POST', body: archive, headers: { 'content-type': 'application/octet-stream' } });

async function assertWinnerStored(storage: Storage, round: number, winner: string, archive: Buffer): Promise<void> {
  const name = parsePackageName(`duel/pkg_${round}`);
  const id = { version: '1.0.0', target: 'luau' as const };
  const bytes = await stored(storage, archiveKey(name, id));
  assert.ok(bytes !== null && bytes.equals(archive), `round ${round}: storage holds the archive of ${winner}, the publisher told 200`);
  const readme = await stored(storage, readmeKey(name, id));
  assert.equal(gunzipSync(readme!).toString('utf8'), `# published by ${winner} in round ${round}\n`, `round ${round}: README of the winner`);
}

for (const backend of ['fs', 's3'] as const) {
  describe(`one winner per version (${backend} storage)`, () => {
    let setup: IndexSetup;
    let s3: TestS3 | undefined;
    let env: Record<string, string>;
    const replicas: TestServer[] = [];

    before(async () => {
      setup = await setupIndex({ prefix: `pesde-winner-${backend}-` });
      s3 = backend === 's3' ? await startS3() : undefined;
      env = s3 === undefined ? { FS_STORAGE_ROOT: setup.storage } : s3.env;
      for (const name of ['replica-a', 'replica-b']) {
        replicas.push(await startTestServer({ env: { INDEX_REPO_URL: setup.remote, ...env }, flags: { dataDir: path.join(setup.root, name), publishRateLimit: 'off' } }));
      }
    });

    after(async () => {
      for (const replica of replicas) await replica.dispose();
      await s3?.dispose();
      await setup?.cleanup();
    });

    it(`two replicas racing one version with different bytes, ${ROUNDS} times: the index names the 200's bytes`, async () => {
      for (let round = 0; round < ROUNDS; round++) {
        const archives = await Promise.all(['a', 'b'].map((who) => buildPackage(specFor(round, who))));
        const answers = await Promise.all(replicas.map((replica, i) => publish(replica, archives[i]!)));
        const statuses = answers.map((a) => a.status);
        assert.deepEqual([...statuses].sort(), [200, 409], `round ${round}: ${answers.map((a) => `${a.status} ${a.text}`).join(' | ')}`);
        const winner = statuses.indexOf(200);
        await assertWinnerStored(replicas[0]!.storage, round, winner === 0 ? 'a' : 'b', archives[winner]!);
        const file = await runGit(setup.remote, ['show', `main:duel/pkg_${round}`]);
        assert.equal([...file.matchAll(/^\["1\.0\.0 luau"\]$/gm)].length, 1);
      }
      // every claim was released by the winning push or given back by the loser
      assert.equal(await runGit(setup.remote, ['for-each-ref', 'refs/registry-claims']), '');
    });

    it('a replica and a CLI racing one version: the 200 (or exit 0) is the one stored', async () => {
      const clone = await setup.cloneAnother(`cli-${backend}`);
      for (let round = ROUNDS; round < ROUNDS + 3; round++) {
        const archive = await buildPackage(specFor(round, 'replica'));
        const file = await writePackage(setup.root, `cli-${round}.tar.gz`, specFor(round, 'cli'));
        const [answer, result] = await Promise.all([publish(replicas[0]!, archive), cli(['publish', file, '--index', clone], { env })]);
        assert.ok((answer.status === 200) !== (result.code === 0), `round ${round}: exactly one succeeds: ${answer.status} ${answer.text} | ${result.code} ${result.stderr}`);
        assert.equal(answer.status === 200 ? result.code : answer.status, answer.status === 200 ? 4 : 409, 'the other is a conflict');
        if (answer.status === 200) await assertWinnerStored(replicas[0]!.storage, round, 'replica', archive);
        else await assertWinnerStored(replicas[0]!.storage, round, 'cli', await buildPackageFromFile(file));
      }
    });

    it('the same bytes twice (a re-run CI job) is a plain 409 for the second', async () => {
      const archive = await buildPackage(specFor(99, 'ci'));
      assert.equal((await publish(replicas[0]!, archive)).status, 200);
      const again = await publish(replicas[1]!, archive);
      assert.equal(again.status, 409);
      assert.match(again.text, /already published/);
      await assertWinnerStored(replicas[0]!.storage, 99, 'ci', archive);
    });
  });
}

async function buildPackageFromFile(file: string): Promise<Buffer> {
  const { readFile } = await import('node:fs/promises');
  return readFile(file);
}
