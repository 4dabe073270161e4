/**
 * The fast path of a plain read: package metadata answered from headers prepared once per
 * body (sendPreparedJson) must be the very answer the general path gives (nosniff, CORS,
 * sendJson): status, every header in order, and body, for GET and HEAD, with and without
 * gzip, large and small bodies; error answers of plain reads keep nosniff first. Served on
 * real sockets on 127.0.0.1 and read with node's HTTP client (rawHeaders keep the order).
 */
import assert from 'node:assert/strict';
import { request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { CachedBody } from '../../src/server/cached-body.js';
import { applyCors } from '../../src/server/cors.js';
import { memoize } from '../../src/server/memo.js';
import { createObservedServer } from '../../src/server/observed-response.js';
import type { PackageRecord } from '../../src/server/package-record.js';
import { NOSNIFF, sendError, sendJson, sendPreparedJson } from '../../src/server/respond.js';
import { Router } from '../../src/server/router.js';
import { cloneFixtureIndex } from '../helpers/fixture-index.js';
import { enc } from '../helpers/http.js';
import { inProcessApp, type InProcessApp } from '../helpers/in-process-app.js';

interface RawAnswer {
  status: number;
  /** name, value, name, value... as sent, without Date (which differs from second to second) */
  headers: string[];
  body: Buffer;
}

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

async function serve(listener: Listener): Promise<{ url: string; close(): Promise<void> }> {
  const server = createObservedServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function raw(url: string, path: string, method = 'GET', headers: Record<string, string> = {}): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, { method, headers, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const pairs: string[] = [];
        for (let i = 0; i < res.rawHeaders.length; i += 2) {
          if (res.rawHeaders[i]!.toLowerCase() !== 'date') pairs.push(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
        }
        resolve({ status: res.statusCode ?? 0, headers: pairs, body: Buffer.concat(chunks) });
      });
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

const VARIANTS: Array<{ method: string; headers: Record<string, string> }> = [
  { method: 'GET', headers: {} },
  { method: 'GET', headers: { 'accept-encoding': 'gzip, deflate' } },
  { method: 'GET', headers: { 'accept-encoding': 'gzip;q=0' } },
  { method: 'HEAD', headers: { 'accept-encoding': 'gzip' } },
  { method: 'GET', headers: { accept: 'application/json' } },
];

describe('prepared JSON answers are the general path answers', () => {
  let app: InProcessApp;
  let fast: Awaited<ReturnType<typeof serve>>;
  let general: Awaited<ReturnType<typeof serve>>;
  /** what the general server answers next */
  let body: CachedBody = new CachedBody('{}');
  let withCors = false;

  before(async () => {
    app = await inProcessApp(await cloneFixtureIndex());
    fast = await serve(app.listener);
    // the general path of app.ts for a JSON body: nosniff first, CORS, then sendJson
    general = await serve((req, res) => {
      res.setHeader(NOSNIFF[0], NOSNIFF[1]);
      if (withCors) applyCors(req, res, () => false);
      sendJson(req, res, 200, body);
    });
  });
  after(async () => {
    await fast.close();
    await general.close();
    await app.close();
  });

  const record = async (name: string): Promise<PackageRecord> => {
    const found = await app.context.state().record(name);
    assert.ok(found !== null, name);
    return found;
  };

  const compare = async (path: string, expected: CachedBody, extra: Record<string, string> = {}) => {
    body = expected;
    for (const variant of VARIANTS) {
      const headers = { ...variant.headers, ...extra };
      const a = await raw(fast.url, path, variant.method, headers);
      const b = await raw(general.url, path, variant.method, headers);
      assert.deepEqual(a, b, `${variant.method} ${path} ${JSON.stringify(headers)}`);
      assert.equal(a.status, 200);
      assert.equal(a.headers[0], 'x-content-type-options');
    }
  };

  /** a package whose bodies are all large enough to be compressed */
  const largePackage = async (): Promise<{ name: string; record: PackageRecord }> => {
    for (const name of app.context.state().packages.keys()) {
      const r = await record(name);
      const item = r.resolve({ kind: 'latest' }, { kind: 'any' });
      if (item !== null && r.versionJson(item).compressible && r.versionsJson().compressible) return { name, record: r };
    }
    throw new Error('the fixture has no package with large bodies');
  };

  it('GET /v1/packages/{name}, .../latest/any, /v0/packages/{name}, large bodies (gzip and vary)', async () => {
    const { name, record: r } = await largePackage();
    await compare(`/v1/packages/${enc(name)}`, r.versionsJson());
    await compare(`/v1/packages/${enc(name)}/latest/any`, r.versionJson(r.resolve({ kind: 'latest' }, { kind: 'any' })!));
    await compare(`/v0/packages/${enc(name)}`, r.v0Json());
  });

  it('a body too small to compress (no vary, never gzip)', async () => {
    let small: { name: string; body: CachedBody } | undefined;
    for (const name of app.context.state().packages.keys()) {
      const r = await record(name);
      const item = r.resolve({ kind: 'latest' }, { kind: 'any' });
      if (item !== null && !r.versionJson(item).compressible) {
        small = { name, body: r.versionJson(item) };
        break;
      }
    }
    assert.ok(small !== undefined, 'the fixture has a package whose version JSON is under 1 KiB');
    await compare(`/v1/packages/${enc(small.name)}/latest/any`, small.body);
  });

  it('with an Origin the general path answers (CORS headers after nosniff), as before', async () => {
    const { name, record: r } = await largePackage();
    withCors = true;
    try {
      await compare(`/v1/packages/${enc(name)}`, r.versionsJson(), { origin: 'https://example.test' });
    } finally {
      withCors = false;
    }
  });

  it('a repeated plain read is answered from the answer cache; with Origin, Accept: text/html or under a new state it is not', async () => {
    const { name } = await largePackage();
    const state = app.context.state();
    let lookups = 0;
    const cachedRecord = state.cachedRecord.bind(state);
    state.cachedRecord = (id: string) => {
      lookups++;
      return cachedRecord(id);
    };
    try {
      const path = `/v1/packages/${enc(name)}/latest/any?cache-test`;
      const first = await raw(fast.url, path);
      assert.equal(lookups, 1);
      assert.deepEqual(await raw(fast.url, path), first);
      assert.deepEqual(await raw(fast.url, path, 'HEAD'), { ...first, body: Buffer.alloc(0) });
      assert.equal(lookups, 1, 'answered again without looking the package up');
      await raw(fast.url, path, 'GET', { origin: 'https://example.test' });
      assert.equal(lookups, 2, 'a request with Origin takes the general path');
      // an API path stays the API's for a browser too, but its Accept may ask for a page: the general path decides
      assert.deepEqual((await raw(fast.url, path, 'GET', { accept: 'text/html' })).body, first.body);
      assert.equal(lookups, 3, 'a request that may be for a page takes the general path');
      const before = lookups;
      // the state a publish or refresh would bring: the first read under it looks up again
      const next = Object.create(state) as typeof state;
      const current = app.context.state;
      app.context.state = () => next;
      try {
        assert.deepEqual(await raw(fast.url, path), first);
        assert.equal(lookups, before + 1);
      } finally {
        app.context.state = current;
      }
    } finally {
      state.cachedRecord = cachedRecord;
    }
  });

  it('sendPreparedJson and sendJson write the same bytes for any body, also one whose gzip form came from elsewhere', async () => {
    const bodies = [new CachedBody('{"a":1}'), new CachedBody(JSON.stringify({ long: 'x'.repeat(4000) })), new CachedBody(JSON.stringify({ long: 'y'.repeat(4000) }), undefined, null)];
    let current = bodies[0]!;
    const prepared = await serve((req, res) => sendPreparedJson(req, res, current));
    const plain = await serve((req, res) => {
      res.setHeader(NOSNIFF[0], NOSNIFF[1]);
      sendJson(req, res, 200, current);
    });
    try {
      for (const b of bodies) {
        current = b;
        for (const variant of VARIANTS) {
          // twice: the second answer comes from the header list kept with the body
          for (let round = 0; round < 2; round++) {
            assert.deepEqual(await raw(prepared.url, '/', variant.method, variant.headers), await raw(plain.url, '/', variant.method, variant.headers));
          }
        }
      }
    } finally {
      await prepared.close();
      await plain.close();
    }
  });

  it('a plain read that fails answers as before: nosniff first, then the JSON error', async () => {
    const errors = await serve((req, res) => {
      res.setHeader(NOSNIFF[0], NOSNIFF[1]);
      if (req.url === '/404') sendError(req, res, 404, 'package nobody/nothing not found');
      else if (req.url === '/405') sendError(req, res, 405, 'DELETE is not allowed here', { allow: 'GET' });
      else sendError(req, res, 400, 'invalid package name "Not A Name": expected the form scope/name, e.g. acme/foo');
    });
    try {
      assert.deepEqual(await raw(fast.url, `/v1/packages/${enc('nobody/nothing')}`), await raw(errors.url, '/404'));
      assert.deepEqual(await raw(fast.url, `/v1/packages/${enc('caveful_games/rng')}`, 'DELETE'), await raw(errors.url, '/405', 'DELETE'));
      assert.deepEqual(await raw(fast.url, `/v1/packages/${enc('Not A Name')}`), await raw(errors.url, '/400'));
    } finally {
      await errors.close();
    }
  });
});

describe('the compiled router', () => {
  const router = new Router<string>()
    .add('GET', '/v1/packages/{name}', 'read', 'versions')
    .add('PUT', '/v1/packages/{name}/deprecate', 'write', 'deprecate')
    .add('DELETE', '/v1/packages/{name}/deprecate', 'write', 'undeprecate')
    .add('GET', '/v1/packages/{name}/{version}/{target}', 'read', 'version');

  it('matches raw segments, merging repeated slashes and dropping a trailing one', () => {
    for (const path of ['/v1/packages/a%2Fb', '//v1/packages//a%2Fb/', 'v1/packages/a%2Fb']) {
      const m = router.match('GET', path);
      assert.equal(m.kind, 'found', path);
      if (m.kind === 'found') assert.deepEqual([m.route.handler, m.params], ['versions', { name: 'a%2Fb' }]);
    }
    const m = router.match('HEAD', '/v1/packages/a%2Fb/1.0.0/luau');
    assert.ok(m.kind === 'found' && m.route.handler === 'version');
    assert.deepEqual(m.kind === 'found' && m.params, { name: 'a%2Fb', version: '1.0.0', target: 'luau' });
  });

  it('says which methods a known path allows, in the order added, and not-found for the rest', () => {
    assert.deepEqual(router.match('GET', '/v1/packages/a%2Fb/deprecate'), { kind: 'method-not-allowed', allow: ['PUT', 'DELETE'] });
    assert.deepEqual(router.match('POST', '/v1/packages/a%2Fb'), { kind: 'method-not-allowed', allow: ['GET'] });
    assert.equal(router.match('GET', '/v1/packages').kind, 'not-found');
    assert.equal(router.match('GET', '/v2/packages/a%2Fb').kind, 'not-found');
    assert.equal(router.match('GET', '/').kind, 'not-found');
  });
});

describe('memoize', () => {
  it('computes a key once, never keeps a throw or a long key, and starts afresh when full', () => {
    let calls = 0;
    const parse = memoize((key) => {
      calls++;
      if (key === 'bad') throw new Error('bad key');
      return { key };
    }, 2, 8);
    assert.equal(parse('a'), parse('a'));
    assert.equal(calls, 1);
    assert.throws(() => parse('bad'));
    assert.throws(() => parse('bad'));
    assert.equal(calls, 3);
    parse('a-long-key');
    parse('a-long-key');
    assert.equal(calls, 5);
    parse('b');
    parse('c'); // full: forgets a and b
    const before = calls;
    parse('a');
    assert.equal(calls, before + 1);
  });
});
