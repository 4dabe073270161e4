/**
 * A start answers package reads while its first full load runs (IndexState.loading): on
 * the real public index plus files that take a load's other paths (one the quick scan
 * declines, one that does not parse, one past the size parsed on the event loop), every
 * package reads the same bytes from the loading state as from the loaded one; every other
 * route is a 503 until the load ends; and a server's composition hands its handler over
 * while the load still runs.
 */
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openLocalIndex } from '../../src/index-repo/local-index.js';
import { parsePackageName } from '../../src/index-repo/names.js';
import { startMetrics } from '../../src/metrics/start-metrics.js';
import { archiveKey } from '../../src/storage/keys.js';
import { createApp } from '../../src/server/app.js';
import type { ServerContext } from '../../src/server/context.js';
import { IndexState } from '../../src/server/index-state.js';
import { silentLogger } from '../../src/server/logger.js';
import { createServerContext } from '../../src/server/server-context.js';
import { resolveServerOptions } from '../../src/server/server-options.js';
import { FIXTURE_INDEX_BUNDLE } from '../helpers/fixture-index.js';
import { largePackageFile, SCAN_DECLINED_FILE } from '../helpers/index-files.js';
import { runGit, tempDir } from '../helpers/git.js';
import { decodedAnswer, type HttpAnswer } from '../helpers/http.js';
import { requestInMemory } from '../helpers/in-memory-http.js';
import { inProcessApp, type InProcessApp } from '../helpers/in-process-app.js';
import { liveProcesses } from '../helpers/processes.js';

let scratch: { dir: string; cleanup: () => Promise<void> };
let clone: string;
let head: string;
let loaded: IndexState;

const EXTRA: Record<string, string> = {
  'extra/commented': SCAN_DECLINED_FILE,
  'extra/broken': '["1.0.0 luau"\nthis is not toml',
  'extra/large': largePackageFile(),
  // a folder where a package file would be: a tree at `extra/folder`, which is no package
  'extra/folder/file': 'not a package\n',
};

before(async () => {
  scratch = await tempDir('pesde-loading-');
  clone = path.join(scratch.dir, 'index');
  await runGit(scratch.dir, ['clone', '--quiet', FIXTURE_INDEX_BUNDLE, clone]);
  for (const [file, text] of Object.entries(EXTRA)) {
    await mkdir(path.dirname(path.join(clone, file)), { recursive: true });
    await writeFile(path.join(clone, file), text);
  }
  await runGit(clone, ['add', '--all']);
  await runGit(clone, ['commit', '--quiet', '-m', 'extra files']);
  head = await runGit(clone, ['rev-parse', 'HEAD']);
  // a clone without a remote is served at its own branch, where the extra files are
  await runGit(clone, ['remote', 'remove', 'origin']);
  loaded = await IndexState.load(clone, head);
});

after(async () => {
  loaded.close();
  await scratch.cleanup();
});

describe('the state served while the index loads', () => {
  it('reads every package of the real index as the loaded state answers it', async () => {
    const loading = await IndexState.loading(clone, head);
    try {
      assert.equal(loading.loading, true);
      assert.equal(loaded.loading, false);
      assert.deepEqual(loading.config, loaded.config);
      assert.equal(loading.packages.size, 0, 'it knows no list of packages');
      assert.ok(loaded.packages.size > 500, `the real index has its packages (${loaded.packages.size})`);
      const ids = [...loaded.packages.keys()];
      assert.ok(ids.includes('extra/large') && ids.includes('extra/commented') && !ids.includes('extra/broken'));
      for (const id of ids) {
        const expected = (await loaded.record(id))!;
        const actual = await loading.record(id);
        assert.ok(actual !== null, id);
        assert.equal(loading.cachedRecord(id), undefined, `${id}: the loading state always reads`);
        assert.equal(actual.versionsJson().bytes.toString(), expected.versionsJson().bytes.toString(), id);
        assert.equal(actual.v0Json().bytes.toString(), expected.v0Json().bytes.toString(), id);
      }
      assert.equal(await loading.record('extra/broken'), null, 'a file that does not parse is absent, as after the load');
      assert.equal(await loaded.record('extra/broken'), null);
      assert.equal(await loading.record('nobody/nothing'), null, 'a package with no file is absent');
      assert.equal(await loading.record('extra/folder'), null, 'a folder at the path is no package file');
      assert.equal(await loaded.record('extra/folder'), null);
    } finally {
      loading.close();
    }
  });

  it('shares a read asked by several requests at once, and answers one asked before it was closed', async () => {
    const loading = await IndexState.loading(clone, head);
    const first = loading.record('extra/large');
    const second = loading.record('extra/large');
    const other = loading.record('extra/commented');
    loading.close();
    const [a, b, c] = await Promise.all([first, second, other]);
    assert.ok(a !== null && a === b, 'one read and one parse for requests that came together');
    assert.ok(c !== null);
    await assert.rejects(loading.record('extra/commented'), /closed/, 'nothing is read after it is closed');
  });

  it('refuses a commit that is not an index, as a load does', async () => {
    const empty = await runGit(clone, ['commit-tree', '4b825dc642cb6eb9a060e54bf8d69288fbee4904', '-m', 'empty']);
    await assert.rejects(IndexState.loading(clone, empty), /is not a pesde index: commit .* has no config\.toml/);
    await assert.rejects(IndexState.load(clone, empty), /is not a pesde index: commit .* has no config\.toml/);
  });
});

describe('the handler while the index loads', () => {
  let app: InProcessApp;
  let loading: IndexState;
  let whileLoading: (p: string, headers?: Record<string, string>, method?: string) => Promise<HttpAnswer>;

  before(async () => {
    app = await inProcessApp(clone);
    loading = await IndexState.loading(clone, head);
    const listener = createApp({ ...app.context, state: () => loading } satisfies ServerContext);
    whileLoading = async (p, headers = {}, method = 'GET') => {
      const answer = await requestInMemory(listener, { path: p, headers, method });
      return decodedAnswer(answer.status, answer.headers, answer.body);
    };
  });
  after(async () => {
    loading.close();
    await app.close();
  });

  it('answers the package reads with the bytes the loaded state gives', async () => {
    const name = encodeURIComponent('extra/large');
    const paths = [
      `/v1/packages/${name}`,
      `/v0/packages/${name}`,
      `/v1/packages/${name}/latest/any`,
      `/v1/packages/${name}/1.3.0/luau`,
      `/v0/packages/${name}/1.3.0/luau`,
      `/v1/packages/${name}/1.3.0/luau/archive`,
      `/v1/packages/${name}/1.3.0/luau/readme`,
      `/v1/packages/${name}/1.3.0/luau/doc?doc=intro`,
      `/v1/packages/${name}/9.9.9/luau`,
      `/v1/packages/${encodeURIComponent('nobody/nothing')}`,
      `/v1/packages/${encodeURIComponent('Bad Name')}`,
    ];
    for (const p of paths) {
      const expected = await app.request(p);
      const actual = await whileLoading(p);
      assert.equal(actual.status, expected.status, p);
      assert.equal(actual.text, expected.text, p);
      assert.equal(actual.headers['content-type'], expected.headers['content-type'], p);
    }
    // a package whose file is read while loading, with an Origin (the website): CORS applies as after the load
    const withOrigin = await whileLoading(`/v1/packages/${name}`, { origin: 'https://example.com' });
    assert.equal(withOrigin.status, 200);
    assert.equal((await whileLoading(`/v1/packages/${name}`)).status, 200, 'a repeated URL too');
  });

  it('counts a download answered while loading in the metrics', async () => {
    const started = await startMetrics({ enabled: true, token: null, address: null }, { readNeedsAuth: false, indexDir: clone, state: () => loading, refreshedAt: () => new Date(), logger: silentLogger });
    assert.ok(!('off' in started));
    const listener = createApp({ ...app.context, state: () => loading, metrics: started.requests } satisfies ServerContext);
    const name = parsePackageName('extra/large');
    await app.context.storage.put(archiveKey(name, { version: '1.3.0', target: 'luau' }), Buffer.from('archive bytes'));
    const download = await requestInMemory(listener, { path: `/v1/packages/${encodeURIComponent(name.full)}/1.3.0/luau/archive` });
    assert.equal(download.status, 200);
    assert.equal(download.body.toString(), 'archive bytes');
    const scraped = (await requestInMemory(listener, { path: '/metrics' })).body.toString();
    assert.match(scraped, /^pesde_registry_archive_downloads_total\{package="extra\/large"\} 1$/m);
    await started.close();
  });

  it('answers everything else with a 503 and Retry-After until the load ends', async () => {
    const cases: Array<[string, Record<string, string>, string]> = [
      ['/v1/search?query=roblox', {}, 'GET'],
      ['/v0/search', {}, 'GET'],
      ['/health', {}, 'GET'],
      ['/', {}, 'GET'],
      ['/no/such/route', {}, 'GET'],
      ['/packages/extra/large', { accept: 'text/html' }, 'GET'],
      [`/v1/packages/${encodeURIComponent('extra/large')}/deprecate`, {}, 'PUT'],
      ['/v1/packages', { 'content-type': 'application/octet-stream' }, 'POST'],
    ];
    for (const [p, headers, method] of cases) {
      const answer = await whileLoading(p, headers, method);
      assert.equal(answer.status, 503, `${method} ${p}`);
      assert.equal(answer.headers['retry-after'], '1', `${method} ${p}`);
      assert.match(answer.text, /the registry is starting/, `${method} ${p}`);
    }
    // the same requests once loaded are the routes' own answers
    assert.equal((await app.request('/health')).status, 200);
    assert.equal((await app.request('/v1/search?query=roblox')).status, 200);
  });
});

/** git processes whose working folder is `dir` (Linux: read from /proc); null where /proc cannot say. */
async function gitProcessesIn(dir: string): Promise<string[] | null> {
  const live = await liveProcesses();
  return live === null ? null : live.filter((p) => p.cwd === dir && path.basename(p.args[0] ?? '') === 'git').map((p) => `${p.pid}: ${p.args.join(' ')}`);
}

/** Waits up to 5 s for no git but `before` to run in `dir`; what else still runs then. */
async function gitLeftIn(dir: string, before: readonly string[]): Promise<string[]> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const running = ((await gitProcessesIn(dir)) ?? []).filter((p) => !before.includes(p));
    if (running.length === 0 || Date.now() > deadline) return running;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('a server composition', () => {
  async function compose(env: Record<string, string>, hooks: Parameters<typeof createServerContext>[3] = {}) {
    const work = await tempDir('pesde-loading-compose-');
    const options = resolveServerOptions({ index: clone, storageRoot: path.join(work.dir, 'storage'), refreshInterval: 0, dataDir: path.join(work.dir, 'data') }, env, work.dir);
    options.logger = silentLogger;
    return { work, composing: createServerContext(options, await openLocalIndex(clone, { requireRemote: false }), silentLogger, hooks) };
  }

  it('that fails beside the load ends the load and its git before it rejects', async () => {
    // fail closed: reads that need a token, and no token anywhere; refused once the loading state exists
    let servable = false;
    // the loaded state this file reads from keeps its own cat-file in the clone
    const before = (await gitProcessesIn(clone)) ?? [];
    const { work, composing } = await compose({ READ_NEEDS_AUTH: '1' }, { servable: () => (servable = true) });
    try {
      await assert.rejects(composing, /READ_NEEDS_AUTH is set but no token is/);
      assert.equal(servable, false, 'nothing was served');
      assert.deepEqual(await gitLeftIn(clone, before), [], 'no git of the load or of the loading state runs on');
    } finally {
      await work.cleanup();
    }
  });

  it('on a commit that is no index rejects as a load does, and leaves no git running', async () => {
    const empty = await runGit(clone, ['commit-tree', '4b825dc642cb6eb9a060e54bf8d69288fbee4904', '-m', 'empty']);
    await runGit(clone, ['update-ref', 'refs/heads/main', empty]);
    try {
      const before = (await gitProcessesIn(clone)) ?? [];
      const { work, composing } = await compose({});
      try {
        await assert.rejects(composing, /is not a pesde index: commit .* has no config\.toml/);
        assert.deepEqual(await gitLeftIn(clone, before), []);
      } finally {
        await work.cleanup();
      }
    } finally {
      await runGit(clone, ['update-ref', 'refs/heads/main', head]);
    }
  });

  it('hands its context over while the index loads, then serves the loaded state from it', async () => {
    let early: Promise<HttpAnswer> | undefined;
    let servable = 0;
    let stateWhenServable: IndexState | undefined;
    const p = `/v1/packages/${encodeURIComponent('extra/commented')}`;
    const { work, composing } = await compose({}, {
      servable(context) {
        servable++;
        stateWhenServable = context.state();
        const listener = createApp(context);
        early = requestInMemory(listener, { path: p }).then((a) => decodedAnswer(a.status, a.headers, a.body));
      },
    });
    try {
      const composed = await composing;
      try {
        assert.equal(servable, 1);
        assert.equal(stateWhenServable?.loading, true, 'handed over before the load ended');
        assert.equal(composed.context.state().loading, false, 'the loaded state once it resolved');
        assert.equal(composed.context.state(), composed.refresher.state);
        // asked of the loading state, which was closed as the load ended: still answered
        const answer = await early!;
        assert.equal(answer.status, 200);
        assert.equal(answer.text, (await loaded.record('extra/commented'))!.versionsJson().bytes.toString());
        await assert.rejects(stateWhenServable!.record('extra/large'), /closed/, 'its cat-file is ended with the load');
      } finally {
        await composed.refresher.stop();
        await composed.dispose();
        composed.refresher.state.close();
      }
    } finally {
      await work.cleanup();
    }
  });
});
