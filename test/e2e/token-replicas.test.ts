/**
 * Two `serve` replicas on one index remote and one store (a file-system root, then a real
 * S3 API): a token created or revoked with the CLI takes effect on both within one refresh
 * interval, without a restart; the first token closes a registry that had no auth; an
 * unreadable store leaves the last good copy in use and says so in /health and the log; a
 * corrupt record is skipped.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import type { Logger } from '../../src/server/logger.js';
import { openStorage } from '../../src/storage/storage-options.js';
import { cli } from '../helpers/cli.js';
import { enc, startTestServer, type TestServer } from '../helpers/http.js';
import { setupIndex, type IndexSetup } from '../helpers/index-setup.js';
import { startS3, type TestS3 } from '../helpers/s3.js';

const INTERVAL_S = 1;
/** generous: one interval, plus a listing, plus a slow shared machine */
const WITHIN_MS = INTERVAL_S * 1000 * 4;

function recordingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return { info: () => undefined, error: () => undefined, warn: (m: string) => void warnings.push(m), warnings };
}

/** Polls until `check` holds; returns how long that took. */
async function until(what: string, check: () => Promise<boolean>): Promise<number> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > WITHIN_MS) assert.fail(`${what}: not within ${WITHIN_MS} ms`);
    await sleep(50);
  }
  return Date.now() - started;
}

for (const backend of ['fs', 's3'] as const) {
  describe(`two replicas sharing a ${backend === 'fs' ? 'file-system' : 'S3'} token store`, () => {
    let setup: IndexSetup;
    let s3: TestS3 | undefined;
    let env: Record<string, string>;
    const replicas: Array<TestServer & { log: ReturnType<typeof recordingLogger> }> = [];
    // past auth, a deprecation of a package that does not exist is a 404: the status says whether auth let it through
    const write = (server: TestServer, header?: string) =>
      server.get(`/v1/packages/${enc('acme/absent')}/deprecate`, { method: 'DELETE', headers: header === undefined ? {} : { authorization: header } });
    const token = async (args: string[]) => {
      const result = await cli(['token', ...args, '--json'], { env });
      assert.equal(result.code, 0, result.stdout + result.stderr);
      return JSON.parse(result.stdout) as { token: string; id: string };
    };

    before(async () => {
      setup = await setupIndex({ prefix: 'pesde-token-replicas-' });
      if (backend === 's3') s3 = await startS3();
      env = s3?.env ?? { FS_STORAGE_ROOT: setup.storage };
      for (const name of ['replica-a', 'replica-b']) {
        const log = recordingLogger();
        const clone = await setup.cloneAnother(name);
        const flags = { index: clone, refreshInterval: INTERVAL_S, ...(s3 === undefined ? { storageRoot: setup.storage } : {}) };
        const server = await startTestServer({ flags, env: s3?.env ?? {}, logger: log });
        replicas.push(Object.assign(server, { log }));
      }
    });
    after(async () => {
      for (const r of replicas) await r.dispose();
      await s3?.dispose();
      await setup?.cleanup();
    });

    it('sees a new token, and the registry closing to anonymous writes, within one interval', async () => {
      for (const r of replicas) assert.equal((await write(r)).status, 404, 'no auth and no tokens: anyone may write');
      const created = await token(['create', '--user', 'alice']);
      for (const r of replicas) {
        const took = await until('the new token works', async () => (await write(r, `Bearer ${created.token}`)).status === 404);
        assert.ok(took <= WITHIN_MS);
        const anonymous = await write(r);
        assert.equal(anonymous.status, 401);
        assert.equal(anonymous.json<{ error: string }>().error, 'a token is required to write to this registry');
      }
    });

    it('stops accepting a revoked token on both replicas within one interval, without a restart', async () => {
      const bob = await token(['create', '--user', 'bob']);
      for (const r of replicas) await until('bob works', async () => (await write(r, bob.token)).status === 404);
      const before = replicas.map((r) => r.state.commit);
      await token(['revoke', bob.id]);
      for (const r of replicas) {
        await until('bob is refused', async () => {
          const res = await write(r, bob.token);
          return res.status === 401 && res.json<{ error: string }>().error === 'the token has been revoked';
        });
      }
      assert.deepEqual(replicas.map((r) => r.state.commit), before, 'the same processes, the same index');
    });

    it('skips a corrupt record with a warning and keeps serving the others', async () => {
      const storage = await openStorage(s3 === undefined ? { kind: 'fs', root: setup.storage } : { kind: 's3', ...s3 });
      await storage.put('_tokens/t0000000000aa.json', Buffer.from('{"format": 1, "id": "t0000000000aa"'));
      const carol = await token(['create', '--user', 'carol']);
      for (const r of replicas) {
        await until('carol works', async () => (await write(r, carol.token)).status === 404);
        assert.ok(r.log.warnings.some((w) => w.includes('_tokens/t0000000000aa.json is not valid JSON')), r.log.warnings.join('\n'));
        assert.equal((await r.get('/health')).json<{ tokenStoreError: string | null }>().tokenStoreError, null);
      }
      await storage.delete('_tokens/t0000000000aa.json');
    });

    if (backend === 's3') {
      it('keeps the last good copy while the store cannot be read, and says so in /health and the log', async () => {
        const dave = await token(['create', '--user', 'dave']);
        for (const r of replicas) await until('dave works', async () => (await write(r, dave.token)).status === 404);
        await s3!.stop();
        try {
          for (const r of replicas) {
            await until('/health reports the store', async () => (await r.get('/health')).json<{ tokenStoreError: string | null }>().tokenStoreError !== null);
            assert.match((await r.get('/health')).json<{ tokenStoreError: string }>().tokenStoreError, /could not list _tokens\//);
            assert.ok(r.log.warnings.some((w) => /cannot read the token store, keeping the last good copy \(\d+ tokens\)/.test(w)));
            assert.equal((await write(r, dave.token)).status, 404, 'the last good copy still knows dave');
            assert.equal((await write(r)).status, 401, 'and the registry stays closed');
          }
        } finally {
          await s3!.restart();
        }
        for (const r of replicas) {
          await until('/health clears', async () => (await r.get('/health')).json<{ tokenStoreError: string | null }>().tokenStoreError === null);
        }
      });
    }
  });
}
