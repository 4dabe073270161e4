/**
 * `pesde-registry token create|list|revoke` through the real CLI, on file-system storage and
 * on a real S3 API: what is printed, what is stored (never a token in clear), concurrent
 * creates from separate processes, and every refusal with its exit code.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cli } from '../helpers/cli.js';
import { tempDir } from '../helpers/git.js';
import { listFiles } from '../helpers/index-setup.js';
import { startS3, type TestS3 } from '../helpers/s3.js';

interface Backend {
  name: string;
  env: Record<string, string>;
  /** every file holding the store's bytes (s3rver keeps objects as files too) */
  files(): Promise<string[]>;
  close(): Promise<void>;
}

async function fsBackend(): Promise<Backend> {
  const { dir, cleanup } = await tempDir('pesde-token-cli-');
  const root = path.join(dir, 'storage');
  return { name: 'file system', env: { FS_STORAGE_ROOT: root }, files: async () => (await listFiles(root)).map((f) => path.join(root, f)), close: cleanup };
}

async function s3Backend(): Promise<Backend> {
  const s3: TestS3 = await startS3();
  return { name: 'S3', env: s3.env, files: async () => (await listFiles(s3.directory)).map((f) => path.join(s3.directory, f)), close: () => s3.dispose() };
}

interface Created {
  token: string;
  id: string;
  user: string;
  userId: number;
  scopes: string[] | 'all';
  permissions: string;
  expiresAt: string | null;
  note: string;
}

for (const make of [fsBackend, s3Backend]) {
  describe(`token commands on ${make === fsBackend ? 'file-system' : 'S3'} storage`, () => {
    let backend: Backend;
    const run = (args: string[]) => cli(args, { env: backend.env });
    const create = async (args: string[]): Promise<Created> => {
      const result = await run(['token', 'create', ...args, '--json']);
      assert.equal(result.code, 0, result.stdout + result.stderr);
      return JSON.parse(result.stdout) as Created;
    };
    const issued: string[] = [];

    before(async () => {
      backend = await make();
    });
    after(() => backend.close());

    it('creates tokens for a team, prints each once, and lists them without secrets', async () => {
      const alice = await create(['--user', 'Alice', '--note', 'laptop']);
      const bob = await create(['--user', 'bob', '--scopes', 'tools,acme', '--expires', '90d']);
      const ci = await create(['--user', 'ci', '--id', '40', '--read-only']);
      const alice2 = await create(['--user', 'alice', '--scopes', 'acme', '--note', 'CI of acme/tools']);
      issued.push(alice.token, bob.token, ci.token, alice2.token);
      assert.deepEqual([alice.user, alice.userId, bob.userId, ci.userId, alice2.userId], ['alice', 1, 2, 40, 1]);
      assert.deepEqual(bob.scopes, ['acme', 'tools']);
      assert.equal(ci.permissions, 'read');
      assert.ok(Date.parse(bob.expiresAt ?? '') > Date.now() + 89 * 86_400_000);
      for (const t of [alice, bob, ci, alice2]) assert.match(t.token, new RegExp(`^pesde_${t.id}_[A-Za-z0-9_-]{43}$`));

      const text = await run(['token', 'create', '--user', 'dave']);
      assert.equal(text.code, 0, text.stderr);
      const printed = /^(pesde_\S+)$/m.exec(text.stdout)?.[1];
      assert.ok(printed, text.stdout);
      issued.push(printed);
      assert.match(text.stdout, /only time the token is shown/);

      const list = await run(['token', 'list', '--json']);
      assert.equal(list.code, 0, list.stderr);
      const { tokens } = JSON.parse(list.stdout) as { tokens: Array<Record<string, unknown>> };
      assert.equal(tokens.length, 5);
      assert.deepEqual(Object.keys(tokens[0] ?? {}).sort(), ['createdAt', 'expiresAt', 'id', 'note', 'permissions', 'revokedAt', 'scopes', 'status', 'user', 'userId']);
      const plain = await run(['token', 'list']);
      assert.match(plain.stdout, new RegExp(`${alice2.id}  alice \\(1\\)  active  read, publish  scopes acme  created \\d{4}-\\d\\d-\\d\\d  expires never  "CI of acme/tools"`));
      for (const token of issued) {
        assert.ok(!list.stdout.includes(token) && !plain.stdout.includes(token));
        assert.ok(!list.stdout.includes(token.slice(-43)));
      }
    });

    it('holds no token in clear: every stored byte searched for every token and its secret', async () => {
      const files = await backend.files();
      assert.ok(files.length >= 5, files.join('\n'));
      for (const file of files) {
        const bytes = await readFile(file, 'latin1');
        for (const token of issued) {
          assert.ok(!bytes.includes(token.slice(-43)), `${file} holds a secret`);
          assert.ok(!bytes.includes(Buffer.from(token).toString('base64')), `${file} holds a token in base64`);
        }
      }
    });

    it('keeps a user id bound to its first name, also for concurrent creates from separate processes', async () => {
      const refused = await run(['token', 'create', '--user', 'mallory', '--id', '1']);
      assert.equal(refused.code, 4, refused.stderr);
      assert.match(refused.stderr, /user id 1 belongs to "alice", not "mallory"/);
      const renamed = await run(['token', 'create', '--user', 'alice', '--id', '9']);
      assert.equal(renamed.code, 4);
      assert.match(renamed.stderr, /user "alice" has id 1, not 9/);

      // new users at once: each gets its own id; one new user twice: one id; one id for two names: one winner
      const parallel = await Promise.all([
        run(['token', 'create', '--user', 'erin', '--json']),
        run(['token', 'create', '--user', 'frank', '--json']),
        run(['token', 'create', '--user', 'grace', '--json']),
        run(['token', 'create', '--user', 'heidi', '--json']),
        run(['token', 'create', '--user', 'heidi', '--json']),
        run(['token', 'create', '--user', 'ivan', '--id', '77', '--json']),
        run(['token', 'create', '--user', 'judy', '--id', '77', '--json']),
      ]);
      const ok = parallel.filter((r) => r.code === 0).map((r) => JSON.parse(r.stdout) as Created);
      const failed = parallel.filter((r) => r.code !== 0);
      assert.equal(ok.length, 6, parallel.map((r) => r.stdout + r.stderr).join('\n'));
      assert.equal(failed.length, 1);
      assert.equal(failed[0]?.code, 4, failed[0]?.stderr);
      const ids = new Map<string, number>();
      for (const t of ok) {
        if (ids.has(t.user)) assert.equal(ids.get(t.user), t.userId, `${t.user} got two ids`);
        ids.set(t.user, t.userId);
      }
      const byId = [...ids.entries()].map(([user, id]) => `${id}:${user}`);
      assert.equal(new Set([...ids.values()]).size, ids.size, `one id for two users: ${byId.join(' ')}`);
      assert.ok(ids.has('erin') && ids.has('frank') && ids.has('grace') && ids.has('heidi'));
      assert.equal(ids.has('ivan') ? ids.get('ivan') : ids.get('judy'), 77);

      const list = JSON.parse((await run(['token', 'list', '--json'])).stdout) as { tokens: Array<{ user: string; userId: number }> };
      assert.equal(list.tokens.length, 5 + 6, 'every winner is stored, every loser withdrew its record');
    });

    it('revokes by id, and refuses bad ids, twice-revoked tokens and missing storage', async () => {
      const list = JSON.parse((await run(['token', 'list', '--json'])).stdout) as { tokens: Array<{ id: string; user: string }> };
      const dave = list.tokens.find((t) => t.user === 'dave');
      assert.ok(dave);
      const revoked = await run(['token', 'revoke', dave.id, '--json']);
      assert.equal(revoked.code, 0, revoked.stderr);
      assert.equal((JSON.parse(revoked.stdout) as { status: string }).status, 'revoked');
      const again = await run(['token', 'revoke', dave.id]);
      assert.equal(again.code, 4);
      assert.match(again.stderr, /already revoked/);
      assert.equal((await run(['token', 'revoke', 't000000000000'])).code, 6);
      assert.equal((await run(['token', 'revoke', 'dave'])).code, 2);
      assert.match((await run(['token', 'list'])).stdout, new RegExp(`${dave.id}  dave \\(\\d+\\)  revoked`));

      const noStorage = await cli(['token', 'list', '--json']);
      assert.equal(noStorage.code, 2);
      assert.match((JSON.parse(noStorage.stdout) as { error: string }).error, /needs the registry's storage/);
      for (const bad of [['--user', 'a b'], ['--user', 'x', '--id', '0'], ['--user', 'x', '--scopes', 'A!'], ['--user', 'x', '--expires', 'later'], []]) {
        const result = await run(['token', 'create', ...bad]);
        assert.equal(result.code, 2, `${bad.join(' ')}: ${result.stderr}`);
      }
    });
  });
}
