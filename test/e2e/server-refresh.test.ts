/**
 * The served state follows the index's origin: a commit pushed by someone else (a CI job,
 * another replica) is served after one refresh interval, and advancing to it re-reads only
 * the files it changed. Origin is a bare copy of the real public index.
 */
import assert from 'node:assert/strict';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { gitSpawnerPid } from '../../src/index-repo/git-spawner.js';
import { IndexState } from '../../src/server/index-state.js';
import type { Logger } from '../../src/server/logger.js';
import { FIXTURE_INDEX_BUNDLE } from '../helpers/fixture-index.js';
import { runGit, tempDir } from '../helpers/git.js';
import { enc, startTestServer, type TestServer } from '../helpers/http.js';

const INTERVAL_S = 0.2;

let scratch: { dir: string; cleanup: () => Promise<void> };
let origin: string;
let other: string;
let server: TestServer;
const logs: string[] = [];
const captureLogger: Logger = {
  info: (m) => logs.push(`info ${m}`),
  warn: (m) => logs.push(`warn ${m}`),
  error: (m) => logs.push(`error ${m}`),
};

/** A commit by someone other than the server, pushed straight to origin. */
async function pushFromElsewhere(files: Record<string, string | null>, message: string): Promise<string> {
  await runGit(other, ['pull', '--quiet', '--ff-only', 'origin', 'main']);
  for (const [file, content] of Object.entries(files)) {
    const full = path.join(other, file);
    if (content === null) await rm(full);
    else {
      await mkdir(path.dirname(full), { recursive: true });
      await writeFile(full, content);
    }
  }
  await runGit(other, ['add', '--all']);
  await runGit(other, ['commit', '--quiet', '-m', message]);
  await runGit(other, ['push', '--quiet', 'origin', 'HEAD:main']);
  return runGit(other, ['rev-parse', 'HEAD']);
}

async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number): Promise<{ value: T; ms: number }> {
  const started = Date.now();
  for (;;) {
    const value = await check();
    if (value !== undefined) return { value, ms: Date.now() - started };
    if (Date.now() - started > timeoutMs) assert.fail(`${what} did not happen within ${timeoutMs} ms`);
    await sleep(20);
  }
}

const NEW_PACKAGE = `["1.0.0 luau"]
published_at = "2030-01-01T00:00:00.5Z"
description = "Pushed by a CI job, not by the registry"

["1.0.0 luau".target]
environment = "luau"
lib = "init.luau"
`;

before(async () => {
  scratch = await tempDir('pesde-refresh-test-');
  origin = path.join(scratch.dir, 'origin.git');
  await runGit(scratch.dir, ['clone', '--quiet', '--bare', FIXTURE_INDEX_BUNDLE, origin]);
  const serverClone = path.join(scratch.dir, 'server-clone');
  other = path.join(scratch.dir, 'other');
  await runGit(scratch.dir, ['clone', '--quiet', origin, serverClone]);
  await runGit(scratch.dir, ['clone', '--quiet', origin, other]);
  server = await startTestServer({ flags: { index: serverClone, refreshInterval: INTERVAL_S }, logger: captureLogger });
});

after(async () => {
  await server?.dispose();
  await scratch?.cleanup();
});

describe('refreshing from origin', () => {
  it('serves a package pushed by someone else within one refresh interval, reading only the changed files', async () => {
    assert.equal((await server.get(`/v1/packages/${enc('ci_job/fresh')}`)).status, 404);
    const before = server.state;
    const commit = await pushFromElsewhere({ 'ci_job/fresh': NEW_PACKAGE, 'ci_job/scope.toml': 'owners = [7]\n' }, 'add ci_job/fresh@1.0.0 luau');
    const { ms } = await until('the new package showing up', async () => {
      const res = await server.get(`/v1/packages/${enc('ci_job/fresh')}/latest/any`);
      return res.status === 200 ? res : undefined;
    }, 5_000);
    // without the periodic fetch it would never show up; the slack is for a loaded machine
    assert.ok(ms <= INTERVAL_S * 1000 * 2 + 2_000, `visible after ${ms} ms`);
    const state = server.state;
    assert.equal(state.commit, commit);
    assert.equal(state.filesRead, 2, 'only the two changed files were read');
    assert.deepEqual(state.scopes.get('ci_job'), { owners: [7] });
    // unchanged packages are the very same records: nothing else was re-parsed
    assert.equal(state.packages.get('pesde/rojo'), before.packages.get('pesde/rojo'));
    const search = (await server.get('/v1/search?query=')).json<{ data: Array<{ name: string }> }>();
    assert.equal(search.data[0]?.name, 'ci_job/fresh', 'newest first in search too');
    assert.equal((await server.get('/health')).json<{ commit: string }>().commit, commit);
  });

  it('follows edits and deletions: a yank moves latest, a deleted file is a 404, a config change applies', async () => {
    const rojo = await readFile(path.join(other, 'pesde/rojo'), 'utf8');
    const latestBefore = (await server.get(`/v1/packages/${enc('pesde/rojo')}/latest/any`)).json<{ version: string }>().version;
    const yanked = rojo.replace(`["${latestBefore} lune"]\n`, `["${latestBefore} lune"]\nyanked = true\n`);
    assert.notEqual(yanked, rojo);
    const config = (await readFile(path.join(other, 'config.toml'), 'utf8')) + 'max_archive_size = 1234\n';
    await pushFromElsewhere({ 'pesde/rojo': yanked, 'ci_job/fresh': null, 'config.toml': config }, 'yank, delete and configure');
    await until('the yank showing up', async () => {
      const res = await server.get(`/v1/packages/${enc('pesde/rojo')}/latest/any`);
      const version = res.json<{ version: string }>().version;
      return version !== latestBefore ? version : undefined;
    }, 5_000);
    assert.equal((await server.get(`/v1/packages/${enc('ci_job/fresh')}`)).status, 404);
    assert.ok(!(await server.get('/v1/search?query=fresh')).text.includes('ci_job/fresh'));
    assert.equal(server.state.config.max_archive_size, 1234);
    assert.equal(server.state.filesRead, 3);
  });

  it('runs one refresh at a time: many requests while one runs cost one more, not many', async () => {
    await server.refresh();
    const commit = await pushFromElsewhere({ 'ci_job/again': NEW_PACKAGE, 'ci_job/scope.toml': 'owners = [7]\n' }, 'add ci_job/again@1.0.0 luau');
    logs.length = 0;
    await Promise.all(Array.from({ length: 10 }, () => server.refresh()));
    assert.equal(server.state.commit, commit);
    const advanced = logs.filter((l) => l.startsWith('info index advanced'));
    assert.equal(advanced.length, 1, logs.join('\n'));
  });

  it('logs a failed fetch, keeps serving, reports it in /health, and recovers', async () => {
    const hidden = `${origin}-away`;
    await rename(origin, hidden);
    try {
      logs.length = 0;
      await server.refresh();
      assert.ok(logs.some((l) => l.startsWith('warn index refresh failed')), logs.join('\n'));
      assert.equal((await server.get(`/v1/packages/${enc('pesde/rojo')}`)).status, 200);
      const health = (await server.get('/health')).json<{ refreshError: string | null }>();
      assert.match(String(health.refreshError), /fetch/);
    } finally {
      await rename(hidden, origin);
    }
    await server.refresh();
    assert.equal((await server.get('/health')).json<{ refreshError: string | null }>().refreshError, null);
  });

  it('runs its git through a spawner process of its own, and replaces a spawner that dies', async () => {
    const spawner = gitSpawnerPid();
    assert.ok(spawner !== null, 'the server started no spawner');
    const stat = await readFile(`/proc/${spawner}/stat`, 'utf8');
    assert.equal(Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]), process.pid);
    process.kill(spawner, 'SIGKILL');
    // null until the next spawn, which may come at once (a refresh's git that failed with it, retried)
    await until('the server seeing its spawner gone', async () => (gitSpawnerPid() !== spawner ? true : undefined), 5_000);
    const commit = await pushFromElsewhere({ 'ci_job/after_spawner': NEW_PACKAGE }, 'add ci_job/after_spawner@1.0.0 luau');
    await until('the push served after the spawner died', async () => (server.state.commit === commit ? true : undefined), 10_000);
    assert.equal((await server.get(`/v1/packages/${enc('ci_job/after_spawner')}`)).status, 200);
    const replacement = gitSpawnerPid();
    assert.ok(replacement !== null && replacement !== spawner);
  });
});

describe('IndexState', () => {
  it('loads every file with one cat-file process and advances by reading only what changed', async () => {
    const dir = path.join(scratch.dir, 'other');
    const head = await runGit(dir, ['rev-parse', 'HEAD']);
    const older = await runGit(dir, ['rev-parse', 'HEAD~3']);
    const full = await IndexState.load(dir, older);
    const files = (await runGit(dir, ['ls-tree', '-r', '--name-only', older])).split('\n').filter((f) => f === 'config.toml' || f.split('/').length === 2);
    assert.equal(full.filesRead, files.length);
    const changed = (await runGit(dir, ['diff-tree', '-r', '--name-only', older, head])).split('\n').filter(Boolean);
    const next = await full.advance(head);
    assert.equal(next.filesRead, changed.length);
    assert.equal(next.commit, head);
    const direct = await IndexState.load(dir, head);
    assert.deepEqual([...next.packages.keys()].sort(), [...direct.packages.keys()].sort());
    assert.equal(next.search.search('', 0).ids.join(), direct.search.search('', 0).ids.join());
    assert.equal(await next.advance(head), next, 'advancing to the same commit is free');
  });
});
