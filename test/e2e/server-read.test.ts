/**
 * The read API over real HTTP, serving the real public index (the fixture bundle) as is.
 * Expected values come from the fixture's TOML read with smol-toml and ordered with npm
 * `semver`, not from the server's own parser, so both sides are checked independently.
 */
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import semver from 'semver';
import { parse as parseToml } from 'smol-toml';
import { cloneFixtureIndex } from '../helpers/fixture-index.js';
import { enc, startTestServer, type TestServer } from '../helpers/http.js';

type Raw = Record<string, any>;

let server: TestServer;
let indexDir: string;

const KIND_ORDER = ['roblox', 'roblox_server', 'lune', 'luau'];

async function rawFile(name: string): Promise<Raw> {
  return parseToml(await readFile(path.join(indexDir, name), 'utf8')) as Raw;
}

/** [version, target, entry] in file order, which is the official writer's order. */
function rawEntries(file: Raw): Array<[string, string, Raw]> {
  return Object.entries(file)
    .filter(([key]) => key !== 'meta')
    .map(([key, entry]) => {
      const [version, target] = key.split(' ') as [string, string];
      return [version, target, entry as Raw];
    });
}

function uniqueVersions(file: Raw): string[] {
  return [...new Set(rawEntries(file).map(([v]) => v))];
}

/** Docs as the API shows them: no hashes, sorted by label bytes then position. */
function expectedDocs(docs: Raw[]): Raw[] {
  return [...docs]
    .sort((a, b) => Buffer.compare(Buffer.from(a.label), Buffer.from(b.label)) || (a.position ?? -1) - (b.position ?? -1))
    .map((d) =>
      d.hash !== undefined
        ? { label: d.label, ...(d.position !== undefined ? { position: d.position } : {}), name: d.name }
        : {
            label: d.label,
            ...(d.position !== undefined ? { position: d.position } : {}),
            ...(d.items?.length ? { items: expectedDocs(d.items) } : {}),
            ...(d.collapsed ? { collapsed: true } : {}),
          },
    );
}

function expectedDeps(deps: Raw | undefined): [string, unknown][] | undefined {
  if (deps === undefined) return undefined;
  return Object.keys(deps)
    .sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : a.toLowerCase() > b.toLowerCase() ? 1 : 0))
    .map((alias) => [alias, deps[alias]]);
}

/** The fields every response takes from an entry, in the official order. */
function expectedDetails(entry: Raw): Raw {
  const out: Raw = { published_at: entry.published_at.replace(/\.?0+Z$/, 'Z') };
  if (entry.license) out.license = entry.license;
  if (entry.authors?.length) out.authors = entry.authors;
  if (entry.repository) out.repository = entry.repository;
  if (entry.docs?.length) out.docs = expectedDocs(entry.docs);
  if (entry.dependencies && Object.keys(entry.dependencies).length) out.dependencies = Object.fromEntries(expectedDeps(entry.dependencies)!);
  return out;
}

function targetSummary(target: Raw): Raw {
  const scripts = target.scripts ? Object.keys(target.scripts).sort() : [];
  const hasBin = target.environment === 'lune' || target.environment === 'luau';
  return { lib: target.lib !== undefined, bin: hasBin && target.bin !== undefined, ...(scripts.length ? { scripts } : {}) };
}

/** What GET /v1/packages/{name}/{version}/{target} must answer for this entry. */
function expectedVersion(name: string, file: Raw, version: string, target: string): Raw {
  const entries = rawEntries(file);
  const entry = entries.find(([v, t]) => v === version && t === target)![2];
  const targets = entries
    .filter(([v]) => v === version)
    .sort((a, b) => KIND_ORDER.indexOf(a[1]) - KIND_ORDER.indexOf(b[1]))
    .map(([, kind, e]) => ({ kind, ...(e.yanked ? { yanked: true } : {}), ...targetSummary(e.target) }));
  return {
    name,
    version,
    targets,
    ...(entry.description ? { description: entry.description } : {}),
    ...(file.meta?.deprecated ? { deprecated: file.meta.deprecated } : {}),
    ...expectedDetails(entry),
  };
}

/** latest as request_path.rs: releases over pre-releases, then unyanked over yanked, then highest. */
function expectedLatest(file: Raw): string {
  const entries = rawEntries(file);
  const rank = ([v, , e]: [string, string, Raw]) => [semver.prerelease(v) === null ? 1 : 0, e.yanked ? 0 : 1] as const;
  return entries.reduce((best, cur) => {
    const [br, by] = rank(best);
    const [cr, cy] = rank(cur);
    if (cr !== br) return cr > br ? cur : best;
    if (cy !== by) return cy > by ? cur : best;
    return semver.compareBuild(cur[0], best[0]) >= 0 ? cur : best;
  })[0];
}

/** Deep equality that also requires the same key order at every level. */
function assertSameJson(actual: unknown, expected: unknown, where = '$'): void {
  assert.equal(JSON.stringify(actual), JSON.stringify(expected), `${where} differs`);
}

before(async () => {
  indexDir = await cloneFixtureIndex();
  server = await startTestServer({ flags: { index: indexDir } });
});

after(async () => {
  await server?.dispose();
});

describe('GET /v1/packages/{name}', () => {
  it('lists every version in semver order with each target, field by field (docs, pre-releases, yanked)', async () => {
    const name = '0x5eal/unzip';
    const file = await rawFile(name);
    const res = await server.get(`/v1/packages/${enc(name)}`);
    assert.equal(res.status, 200);
    assert.match(String(res.headers['content-type']), /^application\/json/);
    const body = res.json<Raw>();
    assert.deepEqual(Object.keys(body), ['name', 'versions']);
    assert.equal(body.name, name);
    assert.deepEqual(Object.keys(body.versions), uniqueVersions(file));
    assert.deepEqual(Object.keys(body.versions), [...Object.keys(body.versions)].sort(semver.compareBuild));
    for (const [version, target, entry] of rawEntries(file)) {
      const v = body.versions[version];
      assert.equal(v.description, entry.description);
      const expected = { target: targetSummary(entry.target), ...(entry.yanked ? { yanked: true } : {}), ...expectedDetails(entry) };
      assertSameJson(v.targets[target], expected, `${version} ${target}`);
    }
    assert.ok(!res.text.includes('"hash"'), 'doc pages are listed without their hash');
    assert.ok(rawEntries(file).some(([, , e]) => e.yanked), 'the fixture has yanked versions here');
  });

  it('puts deprecated right after name, and keys targets by kind in kind order', async () => {
    const deprecated = await server.get(`/v1/packages/${enc('dialoguemaker/client_types')}`);
    const body = deprecated.json<Raw>();
    assert.deepEqual(Object.keys(body), ['name', 'deprecated', 'versions']);
    assert.equal(body.deprecated, (await rawFile('dialoguemaker/client_types')).meta.deprecated);

    const multi = (await server.get(`/v1/packages/${enc('caveful_games/rng')}`)).json<Raw>();
    assert.deepEqual(Object.keys(multi.versions['0.1.0'].targets), ['roblox', 'luau']);
    assert.deepEqual(multi.versions['0.1.0'].targets.roblox.target, { lib: true, bin: false });
  });

  it('keeps build-metadata versions apart, ordered after the plain version', async () => {
    const jecs = (await server.get(`/v1/packages/${enc('tazmondo/jecs')}`)).json<Raw>();
    assert.deepEqual(Object.keys(jecs.versions), ['0.11.0', '0.11.0+1']);
    const rojo = (await server.get(`/v1/packages/${enc('pesde/rojo')}`)).json<Raw>();
    const keys = Object.keys(rojo.versions);
    assert.deepEqual(keys, uniqueVersions(await rawFile('pesde/rojo')));
    assert.ok(keys.indexOf('7.5.1') + 1 === keys.indexOf('7.5.1+toolchainlib.1'));
  });

  it('prints published_at as jiff does: trailing zeros of the fraction dropped', async () => {
    const body = (await server.get(`/v1/packages/${enc('avafe/bootloader')}`)).json<Raw>();
    assert.equal(body.versions['0.1.0'].targets.roblox.published_at, '2025-01-16T19:07:56.30670894Z');
  });

  it('orders dependency aliases case-insensitively and writes each as [specifier, type]', async () => {
    const name = '0jewell/prism';
    const file = await rawFile(name);
    const body = (await server.get(`/v1/packages/${enc(name)}`)).json<Raw>();
    for (const [version, target, entry] of rawEntries(file)) {
      const deps = body.versions[version].targets[target].dependencies;
      if (entry.dependencies === undefined) continue;
      assert.deepEqual(Object.keys(deps), expectedDeps(entry.dependencies)!.map(([a]) => a));
      for (const [alias, [spec, type]] of Object.entries<[Raw, string]>(deps)) {
        assertSameJson([spec, type], entry.dependencies[alias], `${version} ${alias}`);
      }
    }
    assert.ok(rawEntries(file).some(([, , e]) => Object.keys(e.dependencies ?? {}).some((a) => /[A-Z]/.test(a))));
  });

  it('answers 404 for an unknown package and 400 for a malformed name', async () => {
    const missing = await server.get(`/v1/packages/${enc('nobody/nothing')}`);
    assert.equal(missing.status, 404);
    assert.match(missing.json<Raw>().error, /not found/);
    for (const bad of ['noslash', enc('UPPER/case'), enc('ab/c'), enc('_x_/y'), enc('123/y'), `a%00b${enc('/c')}`, '%2e%2e', `${'a'.repeat(300)}%2Fb`, '%zz%2Fb']) {
      const res = await server.get(`/v1/packages/${bad}`);
      assert.equal(res.status, 400, bad);
      assert.equal(typeof res.json<Raw>().error, 'string');
    }
  });
});

describe('GET /v1/packages/{name}/{version}/{target}', () => {
  it('resolves latest/any to the highest unyanked release, field by field', async () => {
    const name = '0x5eal/unzip';
    const file = await rawFile(name);
    const latest = expectedLatest(file);
    const res = await server.get(`/v1/packages/${enc(name)}/latest/any`);
    assert.equal(res.status, 200);
    const body = res.json<Raw>();
    assertSameJson(body, expectedVersion(name, file, latest, 'luau'));
    assert.deepEqual(Object.keys(body).slice(0, 3), ['name', 'version', 'targets']);
  });

  it('skips yanked releases for latest but serves them by exact version', async () => {
    const name = '0jewell/prism';
    const file = await rawFile(name);
    const latest = expectedLatest(file);
    assert.equal(latest, '0.3.0');
    const body = (await server.get(`/v1/packages/${enc(name)}/LATEST/Any`)).json<Raw>();
    assert.equal(body.version, latest);
    const yanked = await server.get(`/v1/packages/${enc(name)}/1.0.1/roblox`);
    assertSameJson(yanked.json(), expectedVersion(name, file, '1.0.1', 'roblox'));
    assert.equal(yanked.json<Raw>().targets[0].yanked, true);
  });

  it('falls back to pre-releases and to yanked versions when there is nothing better', async () => {
    const tui = (await server.get(`/v1/packages/${enc('4x8matrix/tui')}/latest/any`)).json<Raw>();
    assert.equal(tui.version, '0.1.0-dev.2');
    const dirs = (await server.get(`/v1/packages/${enc('abidbmt/dirs')}/latest/any`)).json<Raw>();
    assert.equal(dirs.version, expectedLatest(await rawFile('abidbmt/dirs')));
    assert.equal(dirs.targets[0].yanked, true);
  });

  it('picks the first kind for any, lists every target of the version, and finds a named one', async () => {
    const file = await rawFile('caveful_games/rng');
    const any = (await server.get(`/v1/packages/${enc('caveful_games/rng')}/0.1.0/any`)).json<Raw>();
    assertSameJson(any, expectedVersion('caveful_games/rng', file, '0.1.0', 'roblox'));
    assert.deepEqual(any.targets.map((t: Raw) => t.kind), ['roblox', 'luau']);
    const luau = (await server.get(`/v1/packages/${enc('caveful_games/rng')}/0.1.0/luau`)).json<Raw>();
    assertSameJson(luau, expectedVersion('caveful_games/rng', file, '0.1.0', 'luau'));
  });

  it('decodes build metadata (%2B or a literal +) and keeps it part of the version', async () => {
    for (const v of ['0.11.0%2B1', '0.11.0+1']) {
      const res = await server.get(`/v1/packages/${enc('tazmondo/jecs')}/${v}/roblox`);
      assert.equal(res.status, 200, v);
      assert.equal(res.json<Raw>().version, '0.11.0+1');
    }
    const plain = (await server.get(`/v1/packages/${enc('tazmondo/jecs')}/0.11.0/roblox`)).json<Raw>();
    assert.equal(plain.version, '0.11.0');
    const latest = (await server.get(`/v1/packages/${enc('tazmondo/jecs')}/latest/any`)).json<Raw>();
    assert.equal(latest.version, '0.11.0+1');
  });

  it('lists script names, sorted, and nested doc categories without hashes', async () => {
    const scripts = (await server.get(`/v1/packages/${enc('pesde/scripts_rojo')}/0.1.0/lune`)).json<Raw>();
    assert.deepEqual(scripts.targets[0].scripts, ['roblox_sync_config_generator', 'sourcemap_generator']);
    assert.equal(scripts.targets[0].bin, false);

    const name = 'alicesaidhi/vide_snake_case';
    const file = await rawFile(name);
    const version = uniqueVersions(file).at(-1)!;
    const res = await server.get(`/v1/packages/${enc(name)}/${enc(version)}/roblox`);
    const body = res.json<Raw>();
    assertSameJson(body.docs, expectedDocs(rawEntries(file).find(([v]) => v === version)![2].docs));
    assert.ok(body.docs.some((d: Raw) => d.items?.some((i: Raw) => i.items)), 'categories nest');
    assert.ok(body.docs.some((d: Raw) => d.items === undefined && d.name === undefined), 'an empty category is just its label');
    assert.ok(!res.text.includes('"hash"'));
  });

  it('answers 404 for an unknown version or target and 400 for malformed segments', async () => {
    const base = `/v1/packages/${enc('caveful_games/rng')}`;
    for (const p of [`${base}/9.9.9/any`, `${base}/0.1.0/lune`, `${base}/0.1.0+x/any`, `/v1/packages/${enc('nobody/nothing')}/latest/any`]) {
      assert.equal((await server.get(p)).status, 404, p);
    }
    for (const p of [`${base}/01.0.0/any`, `${base}/1.0/any`, `${base}/v1.0.0/any`, `${base}/0.1.0/Luau`, `${base}/0.1.0/all`, `${base}/0.1.0/%00`, `${base}/%2e%2e/any`, `${base}/${'1'.repeat(400)}/any`, `/v1/packages/nope/latest/any`]) {
      const res = await server.get(p);
      assert.equal(res.status, 400, p);
      assert.equal(typeof res.json<Raw>().error, 'string');
    }
  });
});

describe('v0 routes', () => {
  it('GET /v0/packages/{name} is an array of version responses, one per version (its last target)', async () => {
    const name = 'caveful_games/rng';
    const file = await rawFile(name);
    const body = (await server.get(`/v0/packages/${enc(name)}`)).json<Raw[]>();
    assertSameJson(body, uniqueVersions(file).map((v) => {
      const last = rawEntries(file).filter(([ver]) => ver === v).at(-1)![1];
      return expectedVersion(name, file, v, last);
    }));
    assert.equal((await server.get(`/v0/packages/${enc('nobody/nothing')}`)).status, 404);
  });

  it('GET /v0/packages/{name}/{version}/{target} answers JSON like v1', async () => {
    const v1 = await server.get(`/v1/packages/${enc('0jewell/prism')}/latest/any`);
    const v0 = await server.get(`/v0/packages/${enc('0jewell/prism')}/latest/any`);
    assert.equal(v0.status, 200);
    assert.equal(v0.text, v1.text);
  });
});

describe('archives, READMEs and docs (file-system storage)', () => {
  const name = '0x5eal/unzip';
  let version: string;
  const archive = gzipSync(Buffer.from('not really a tar, but bytes the server must pass through unchanged'));
  const readme = '# unzip\n\nUnzip in Luau.';
  const doc = '# Intro\n\nHello docs.';
  let docHash: string;

  before(async () => {
    const file = await rawFile(name);
    version = expectedLatest(file);
    const entry = rawEntries(file).find(([v]) => v === version)![2];
    docHash = entry.docs.find((d: Raw) => d.name === 'intro').hash;
    await server.storage.put(`0x5eal/unzip/${version}/luau/pkg.tar.gz`, archive);
    await server.storage.put(`0x5eal/unzip/${version}/luau/readme.gz`, gzipSync(readme));
    await server.storage.put(`Doc/${docHash}.gz`, gzipSync(doc));
  });

  it('streams the archive with its type and length, not content-encoded', async () => {
    for (const p of [`${version}/luau`, 'latest/any', `${enc(version)}/luau`]) {
      const res = await server.get(`/v1/packages/${enc(name)}/${p}/archive`, { headers: { accept: 'application/octet-stream' } });
      assert.equal(res.status, 200, p);
      assert.equal(res.headers['content-type'], 'application/gzip');
      assert.equal(res.headers['content-length'], String(archive.length));
      assert.equal(res.headers['content-encoding'], undefined);
      assert.deepEqual(res.raw, archive);
    }
    const head = await server.get(`/v1/packages/${enc(name)}/latest/any/archive`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-length'], String(archive.length));
    assert.equal(head.raw.length, 0);
  });

  it('serves README and doc pages gzip-encoded as stored', async () => {
    const res = await server.get(`/v1/packages/${enc(name)}/latest/any/readme`);
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-encoding'], 'gzip');
    assert.equal(res.headers['content-type'], 'text/plain');
    assert.equal(res.text, readme);
    const page = await server.get(`/v1/packages/${enc(name)}/latest/any/doc?doc=intro`);
    assert.equal(page.status, 200);
    assert.equal(page.headers['content-encoding'], 'gzip');
    assert.equal(page.text, doc);
  });

  it('answers 404 for objects not in storage or pages not in the docs, 400 without ?doc', async () => {
    const older = `/v1/packages/${enc(name)}/0.0.1/luau`;
    assert.equal((await server.get(`${older}/archive`)).status, 404);
    assert.equal((await server.get(`${older}/readme`)).status, 404);
    assert.equal((await server.get(`/v1/packages/${enc(name)}/latest/any/doc?doc=nope`)).status, 404);
    assert.equal((await server.get(`/v1/packages/${enc(name)}/latest/any/doc`)).status, 400);
    assert.equal((await server.get(`/v1/packages/${enc(name)}/latest/lune/archive`)).status, 404);
    assert.equal((await server.get(`/v1/packages/${enc('nobody/nothing')}/latest/any/archive`)).status, 404);
  });

  it('v0 picks archive, README or doc by Accept and ?doc', async () => {
    const url = `/v0/packages/${enc(name)}/latest/any`;
    const tar = await server.get(url, { headers: { accept: 'application/octet-stream' } });
    assert.deepEqual(tar.raw, archive);
    const text = await server.get(url, { headers: { accept: 'TEXT/PLAIN' } });
    assert.equal(text.text, readme);
    assert.equal((await server.get(`${url}?doc=intro`)).text, doc);
    const json = await server.get(url, { headers: { accept: 'application/json' } });
    assert.equal(json.json<Raw>().version, version);
  });
});

describe('GET /v1/search', () => {
  interface Hit { name: string; version: string; published_at: string; targets: Raw[] }
  let searchable: Map<string, string>;

  before(async () => {
    // every package that is not deprecated and has an unyanked version, with its newest such publish time
    searchable = new Map();
    for (const scope of await readdir(indexDir, { withFileTypes: true })) {
      if (!scope.isDirectory() || scope.name.startsWith('.')) continue;
      for (const file of await readdir(path.join(indexDir, scope.name))) {
        if (file === 'scope.toml') continue;
        const raw = await rawFile(`${scope.name}/${file}`);
        if (raw.meta?.deprecated) continue;
        const live = rawEntries(raw).filter(([, , e]) => !e.yanked);
        if (live.length === 0) continue;
        const top = live.reduce((a, b) => (semver.compareBuild(b[0], a[0]) > 0 || (semver.compareBuild(b[0], a[0]) === 0 && b[2].published_at >= a[2].published_at) ? b : a));
        searchable.set(`${scope.name}/${file}`, top[2].published_at);
      }
    }
  });

  const search = async (query: string, offset?: number) => {
    const qs = new URLSearchParams({ query, ...(offset === undefined ? {} : { offset: String(offset) }) });
    const res = await server.get(`/v1/search?${qs}`);
    assert.equal(res.status, 200);
    const body = res.json<{ data: Hit[]; count: number }>();
    assert.deepEqual(Object.keys(body), ['data', 'count']);
    return body;
  };

  it('with an empty query lists every searchable package, newest first, 50 a page', async () => {
    const first = await search('');
    assert.equal(first.count, searchable.size);
    assert.equal(first.data.length, 50);
    const second = await search('', 50);
    const all = [...first.data, ...second.data];
    assert.equal(new Set(all.map((h) => h.name)).size, 100, 'pages do not overlap');
    const times = all.map((h) => searchable.get(h.name)!);
    assert.deepEqual(times, [...times].sort().reverse());
    const newest = [...searchable.entries()].sort((a, b) => (a[1] < b[1] ? 1 : -1))[0]![0];
    assert.equal(first.data[0]!.name, newest);
    const beyond = await search('', 100_000);
    assert.deepEqual(beyond.data, []);
    assert.equal(beyond.count, searchable.size);
    const last = await search('', searchable.size - 3);
    assert.equal(last.data.length, 3);
  });

  it('shows each hit as the version response of its newest unyanked version', async () => {
    const { data } = await search('', 0);
    for (const hit of data.slice(0, 10)) {
      const kinds = hit.targets.map((t) => t.kind);
      const candidates = await Promise.all(kinds.map(async (k) => (await server.get(`/v1/packages/${enc(hit.name)}/${enc(hit.version)}/${k}`)).text));
      assert.ok(candidates.includes(JSON.stringify(hit)), hit.name);
    }
  });

  it('leaves out deprecated packages and packages whose every version is yanked', async () => {
    const dm = await search('dialoguemaker');
    assert.ok(dm.count > 0);
    for (const hit of dm.data) assert.ok(searchable.has(hit.name), `${hit.name} is searchable`);
    assert.ok(!dm.data.some((h) => h.name === 'dialoguemaker/client_types'));
    assert.ok(!(await search('dirs')).data.some((h) => h.name === 'abidbmt/dirs'));
    assert.ok(!(await search('')).data.some((h) => h.name === 'abidbmt/dirs'));
  });

  it('ranks name matches first: exact, then prefix, then the rest', async () => {
    const { data, count } = await search('rojo');
    assert.ok(count >= 4);
    const names = data.map((h) => h.name.split('/')[1]!);
    assert.equal(names[0], 'rojo');
    // the fixture has hits for "rojo" by description only: each comes after every name match
    const firstNonName = names.findIndex((n) => !n.includes('rojo'));
    assert.ok(firstNonName > 0, `a description-only hit after the name matches: ${names.join(', ')}`);
    assert.ok(names.slice(firstNonName).every((n) => !n.includes('rojo')), 'no name match after a non-name match');
    const exact = data.filter((h) => h.name.endsWith('/rojo'));
    assert.ok(exact.length >= 2 && data.indexOf(exact[1]!) === 1, 'both exact matches first');
  });

  it('matches scope and description words, case-insensitively, and pages a large result', async () => {
    const scope = await search('PESDE');
    assert.ok(scope.data.some((h) => h.name === 'pesde/rojo'));
    const description = await search('unzip implementation');
    assert.equal(description.data[0]?.name.endsWith('/unzip'), true);
    const wide = await search('a');
    assert.ok(wide.count > 50);
    const page2 = await search('a', 50);
    assert.equal(page2.count, wide.count);
    assert.ok(!page2.data.some((h) => wide.data.some((w) => w.name === h.name)));
  });

  it('answers 400 for an offset that is not a whole number; v0 search is the same', async () => {
    for (const offset of ['-1', 'x', '1.5', '']) {
      assert.equal((await server.get(`/v1/search?offset=${offset}`)).status, 400, offset);
    }
    const v0 = await server.get('/v0/search?query=rojo');
    assert.equal(v0.text, (await server.get('/v1/search?query=rojo')).text);
  });
});

describe('the rest of the HTTP surface', () => {
  it('GET / names the server and its version', async () => {
    const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    const res = await server.get('/');
    assert.equal(res.status, 200);
    assert.match(String(res.headers['content-type']), /^text\/plain/);
    assert.equal(res.text, `pesde-registry/${pkg.version}`);
  });

  it('GET /health reports commit, refresh time, storage kind and package count', async () => {
    const body = (await server.get('/health')).json<Raw>();
    assert.equal(body.commit, server.state.commit);
    assert.ok(!Number.isNaN(Date.parse(body.refreshedAt)));
    assert.equal(body.storage, 'fs');
    assert.equal(body.packages, server.state.packages.size);
    assert.ok(body.packages > 500);
  });

  it('compresses large JSON for clients that accept gzip', async () => {
    const res = await server.get(`/v1/packages/${enc('pesde/rojo')}`, { headers: { 'accept-encoding': 'gzip, br' } });
    assert.equal(res.headers['content-encoding'], 'gzip');
    assert.ok(res.raw.length < res.body.length);
    assert.match(String(res.headers.vary), /accept-encoding/i);
    const plain = await server.get(`/v1/packages/${enc('pesde/rojo')}`);
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.equal(plain.text, res.text);
  });

  it('answers CORS for reads like Cors::permissive: any origin echoed with credentials, preflight for any path; write preflights only for its own site', async () => {
    const res = await server.get('/v1/search', { headers: { origin: 'https://pesde.dev' } });
    assert.equal(res.headers['access-control-allow-origin'], 'https://pesde.dev');
    assert.equal(res.headers['access-control-allow-credentials'], 'true');
    const preflight = (origin: string, method: string) =>
      server.get(`/v1/packages/${enc('a/b')}/1.0.0/any/yank`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': 'authorization' },
      });
    const read = await preflight('https://pesde.dev', 'GET');
    assert.equal(read.status, 200);
    assert.equal(read.headers['access-control-allow-origin'], 'https://pesde.dev');
    assert.equal(read.headers['access-control-allow-headers'], 'authorization');
    const foreignWrite = await preflight('https://pesde.dev', 'PUT');
    assert.equal(foreignWrite.headers['access-control-allow-origin'], undefined);
    assert.doesNotMatch(String(foreignWrite.headers['access-control-allow-methods']), /PUT/);
    const ownWrite = await preflight(server.url, 'PUT');
    assert.equal(ownWrite.headers['access-control-allow-origin'], server.url);
    assert.match(String(ownWrite.headers['access-control-allow-methods']), /PUT/);
    assert.equal((await server.get('/')).headers['access-control-allow-origin'], undefined);
  });

  it('normalises trailing and repeated slashes; unknown routes are 404 and wrong methods 405, as JSON errors', async () => {
    assert.equal((await server.get(`/v1/packages/${enc('pesde/rojo')}/`)).status, 200);
    assert.equal((await server.get(`//v1//packages/${enc('pesde/rojo')}`)).status, 200);
    const unknown = await server.get('/v2/anything');
    assert.equal(unknown.status, 404);
    assert.equal(typeof unknown.json<Raw>().error, 'string');
    const wrong = await server.get(`/v1/packages/${enc('pesde/rojo')}/latest/any`, { method: 'POST' });
    assert.equal(wrong.status, 405);
    assert.match(String(wrong.headers.allow), /GET/);
  });
});
