/**
 * Hostile archives and requests, through the real CLI `publish` and through
 * `POST /v1/packages` of a running server on the same remote and storage: every one is
 * refused with one clear line (exit code / HTTP status with `{"error": ...}`), and leaves
 * the remote, both clones and the storage exactly as they were.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { gzipSync } from 'node:zlib';
import { buildTar, buildTarGz, END, gzip, rawEntry, rawHeader, type EntrySpec } from '../helpers/archive-builder.js';
import { cli } from '../helpers/cli.js';
import { enc, startTestServer, type HttpAnswer, type TestServer } from '../helpers/http.js';
import { listFiles, setupIndex, worldState, type IndexSetup, type WorldState } from '../helpers/index-setup.js';
import { manifestFor } from '../helpers/package-fixture.js';

const MiB = 1024 * 1024;
/** the default max_archive_size `init` writes */
const ARCHIVE_LIMIT = 4 * MiB;
const IDLE_TIMEOUT_MS = 300;

let setup: IndexSetup;
let serverClone: string;
let server: TestServer;
let n = 0;

const state = (): Promise<WorldState> => worldState(setup.remote, [setup.clone, serverClone], () => listFiles(setup.storage));

function base(version = '1.0.0', name = 'acme/hostile'): EntrySpec[] {
  return [
    { path: 'pesde.toml', content: manifestFor({ name, version }) },
    { path: 'src/init.luau', content: 'return {}\n' },
  ];
}

/** base() without its end marker, ready for raw bytes to follow */
const openTar = (): Buffer => buildTar(base(), { end: false });

function manyFiles(count: number, version: string): Buffer {
  const entries = base(version, 'acme/many');
  for (let i = 0; i < count; i++) entries.push({ path: `src/f${String(i).padStart(5, '0')}.luau`, content: '' });
  return buildTarGz(entries);
}

// A gzip member of 1 MiB of zeros is about 1 KiB: 1024 of them unpack to 1 GiB.
const zerosMember = gzipSync(Buffer.alloc(MiB), { level: 9 });

interface HostileCase {
  name: string;
  archive: () => Buffer;
  error: RegExp;
  /** HTTP status; 400 unless said */
  status?: number;
  /** the HTTP error, when it differs from the CLI's */
  httpError?: RegExp;
}

const cases: HostileCase[] = [
  { name: 'a ../ path', archive: () => buildTarGz([...base(), { path: '../evil.luau', content: 'x' }]), error: /^archive entry "\.\.\/evil\.luau" has a "\.\." segment/ },
  { name: 'a ../ deeper down', archive: () => buildTarGz([...base(), { path: 'src/../../evil', content: 'x' }]), error: /^archive entry "src\/\.\.\/\.\.\/evil" has a "\.\." segment/ },
  { name: 'a ./.. directory', archive: () => buildTarGz([...base(), { path: './..', type: 'directory' }]), error: /^archive entry "\.\/\.\." has a "\.\." segment/ },
  { name: 'an absolute path', archive: () => gzip(Buffer.concat([openTar(), rawEntry({ name: '/etc/cron.d/evil' }, 'x'), END])), error: /^archive entry "\/etc\/cron\.d\/evil" has an absolute path/ },
  { name: 'a symbolic link', archive: () => buildTarGz([...base(), { path: 'src/link', type: 'symlink', linkpath: '/etc/passwd' }]), error: /^archive contains a symbolic link "src\/link"/ },
  { name: 'a hard link', archive: () => buildTarGz([...base(), { path: 'src/hard', type: 'hardlink', linkpath: '/etc/shadow' }]), error: /^archive contains a hard link "src\/hard"/ },
  { name: 'a character device', archive: () => buildTarGz([...base(), { path: 'src/tty', type: 'char' }]), error: /^archive contains a device file "src\/tty"/ },
  { name: 'a block device', archive: () => buildTarGz([...base(), { path: 'src/sda', type: 'block' }]), error: /^archive contains a device file "src\/sda"/ },
  { name: 'a FIFO', archive: () => buildTarGz([...base(), { path: 'src/pipe', type: 'fifo' }]), error: /^archive contains a FIFO "src\/pipe"/ },
  {
    name: 'a duplicate manifest (the second one would win on extraction)',
    archive: () => buildTarGz([...base(), { path: './pesde.toml', content: manifestFor({ name: 'acme/other', version: '9.9.9' }) }]),
    error: /^archive contains "\.\/pesde\.toml" twice/,
  },
  {
    name: 'a gzip bomb (1 MB compressed, 1 GiB of zeros after the tar end)',
    archive: () => Buffer.concat([gzip(buildTar(base())), ...Array.from({ length: 1024 }, () => zerosMember)]),
    error: /^archive unpacks to more than 268435456 bytes/,
  },
  {
    name: 'a gzip bomb declaring one 1 GiB file',
    archive: () => Buffer.concat([gzip(Buffer.concat([openTar(), rawHeader({ name: 'src/bomb.bin', size: 1024 * MiB })])), ...Array.from({ length: 64 }, () => zerosMember)]),
    error: /^archive file "src\/bomb\.bin" is 1073741824 bytes, more than the 134217728-byte limit/,
  },
  {
    name: 'a truncated gzip stream',
    archive: () => {
      const whole = buildTarGz(base());
      return whole.subarray(0, Math.floor(whole.length / 2));
    },
    error: /^archive is truncated/,
  },
  { name: 'garbage after the tar end marker', archive: () => gzip(Buffer.concat([buildTar(base()), Buffer.from('#!/bin/sh\nrm -rf /\n')])), error: /^archive has data after its end-of-archive marker/ },
  { name: 'garbage after the gzip stream', archive: () => Buffer.concat([buildTarGz(base()), Buffer.from('trailing garbage')]), error: /^archive has data after the end of its gzip stream/ },
  { name: 'a body that is not gzip', archive: () => Buffer.from('PK\u0003\u0004 a zip file, not a tarball'), error: /^archive is not gzip-compressed/ },
  { name: 'a gzip that is not a tar', archive: () => gzip(Buffer.from('just some text, no tar headers here at all'.repeat(20))), error: /^archive is not a tar archive/ },
  { name: 'no manifest', archive: () => buildTarGz([{ path: 'src/init.luau', content: 'return {}' }]), error: /^archive has no pesde\.toml at its root/ },
  {
    name: 'a manifest that is not UTF-8',
    archive: () => buildTarGz([{ path: 'pesde.toml', content: Buffer.concat([Buffer.from('name = "acme/x'), Buffer.from([0xff, 0xfe, 0xc0]), Buffer.from('"\n')]) }]),
    error: /^pesde\.toml is not valid UTF-8/,
  },
  { name: 'a manifest that is not TOML', archive: () => buildTarGz([{ path: 'pesde.toml', content: 'name = "acme/x"\nversion = \n[[[' }]), error: /^pesde\.toml is not valid TOML \(line 2/ },
  {
    name: 'a 2 MiB manifest',
    archive: () => buildTarGz([{ path: 'pesde.toml', content: `${manifestFor({ name: 'acme/huge', version: '1.0.0' })}\n${'# padding padding padding\n'.repeat(2 * MiB / 26)}` }]),
    error: /^pesde\.toml is \d+ bytes, more than 1048576: move data out of the manifest$/,
  },
  { name: '10,001 tiny files (over the entry cap)', archive: () => manyFiles(9_999, '1.0.0'), error: /^archive has more than 10000 entries: include fewer files in the package$/ },
  {
    name: 'an archive larger than max_archive_size',
    archive: () => Buffer.concat([buildTarGz(base()), Buffer.alloc(ARCHIVE_LIMIT)]),
    error: /^archive is 4\d{6} bytes, more than this registry's limit of 4194304 bytes/,
    status: 413,
    // the server stops reading at the limit, before the archive is complete
    httpError: /^the request body is larger than the limit of 4194304 bytes$/,
  },
];

/** stderr of a failed CLI run: step lines (`Validating the package...`) and then exactly one `error:` line */
function cliErrorLine(stderr: string): string {
  const lines = stderr.split('\n').filter((l) => l !== '' && !/^[A-Z][a-z ]+\.\.\.$/.test(l));
  assert.equal(lines.length, 1, `expected one error line, got:\n${stderr}`);
  assert.match(lines[0]!, /^error: /);
  return lines[0]!.slice('error: '.length);
}

function assertErrorAnswer(res: HttpAnswer, status: number, pattern?: RegExp): void {
  assert.equal(res.status, status, res.text);
  assert.match(String(res.headers['content-type']), /^application\/json/);
  const body = res.json<{ error: unknown }>();
  assert.equal(typeof body.error, 'string', res.text);
  assert.ok(!(body.error as string).includes('\n'), 'one line');
  if (pattern) assert.match(body.error as string, pattern);
}

const post = (body: Buffer): Promise<HttpAnswer> =>
  server.get('/v1/packages', { method: 'POST', body, headers: { 'content-type': 'application/octet-stream' } });

before(async () => {
  setup = await setupIndex({ prefix: 'pesde-hostile-' });
  serverClone = await setup.cloneAnother('server-clone');
  server = await startTestServer({
    flags: { index: serverClone, storageRoot: setup.storage, publishRateLimit: 'off' },
    tweak: (o) => (o.bodyIdleTimeoutMs = IDLE_TIMEOUT_MS),
  });
  const hello = await post(buildTarGz(base('1.0.0', 'acme/hello')));
  assert.equal(hello.status, 200, hello.text);
});

after(async () => {
  await server?.dispose();
  await setup?.cleanup();
});

describe('hostile archives through the CLI', () => {
  for (const c of cases) {
    it(`refuses ${c.name}: exit 3, one line, nothing changed`, async () => {
      const file = path.join(setup.root, `hostile-${++n}.tar.gz`);
      await writeFile(file, c.archive());
      const before = await state();
      const result = await cli(['publish', file, '--index', setup.clone, '--storage-root', setup.storage]);
      assert.equal(result.code, 3, result.stderr);
      assert.match(cliErrorLine(result.stderr), c.error);
      assert.equal(result.stdout, '');
      assert.deepEqual(await state(), before);
    });
  }

  it('accepts 9,999 tiny files (under the entry cap)', async () => {
    const file = path.join(setup.root, 'many-ok.tar.gz');
    await writeFile(file, manyFiles(9_997, '1.0.0'));
    const result = await cli(['publish', file, '--index', setup.clone, '--storage-root', setup.storage]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /published acme\/many@1\.0\.0 luau/);
  });
});

describe('hostile archives through POST /v1/packages', () => {
  for (const c of cases) {
    it(`refuses ${c.name}: ${c.status ?? 400} {"error"}, nothing changed`, async () => {
      const before = await state();
      const res = await post(c.archive());
      assertErrorAnswer(res, c.status ?? 400, c.httpError ?? c.error);
      assert.deepEqual(await state(), before);
    });
  }

  it('accepts 9,999 tiny files (under the entry cap)', async () => {
    const res = await post(manyFiles(9_997, '1.0.1'));
    assert.equal(res.status, 200, res.text);
    assert.equal(res.text, 'published acme/many@1.0.1 luau');
  });
});

/** A POST whose body the test writes by hand; resolves with the answer and how much had been sent by then. */
function manualPost(headers: Record<string, string>) {
  const url = new URL(server.url);
  const req = request({ host: url.hostname, port: url.port, method: 'POST', path: '/v1/packages', headers: { 'content-type': 'application/octet-stream', ...headers }, agent: false });
  let sent = 0;
  let answeredAfter: number | undefined;
  let endedBeforeAnswer = false;
  const answer = new Promise<{ status: number; body: string; sentWhenAnswered: number; requestEnded: boolean; headers: Record<string, unknown> }>((resolve, reject) => {
    req.on('response', (res) => {
      answeredAfter = sent;
      endedBeforeAnswer = req.writableEnded;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), sentWhenAnswered: answeredAfter ?? 0, requestEnded: endedBeforeAnswer, headers: res.headers }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
  return {
    req,
    answer,
    answered: () => answeredAfter !== undefined,
    sent: () => sent,
    write(chunk: Buffer): Promise<void> {
      sent += chunk.length;
      return new Promise((resolve) => (req.write(chunk) ? resolve() : req.once('drain', () => resolve())));
    },
  };
}

/**
 * A raw POST /v1/packages: the request head is sent, then the answer is read up to its
 * end, then the test decides what more to write. Records whether the server reset us.
 */
async function rawPost(headers: Record<string, string>) {
  const url = new URL(server.url);
  // half-open, as a client still uploading is: the server's FIN after its answer does not
  // make us stop writing
  const socket: Socket = connect({ port: Number(url.port), host: url.hostname, allowHalfOpen: true });
  let received = '';
  let error: NodeJS.ErrnoException | undefined;
  socket.on('data', (c: Buffer) => (received += c.toString('latin1')));
  socket.on('error', (e) => (error = e));
  const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(performance.now())));
  const head = Object.entries({ host: url.host, 'content-type': 'application/octet-stream', ...headers }).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  socket.write(`POST /v1/packages HTTP/1.1\r\n${head}\r\n`);
  const started = performance.now();
  // the answer is complete once its Content-Length worth of body is in
  while (!/\r\n\r\n/.test(received) || received.split('\r\n\r\n')[1]!.length < Number(/content-length: (\d+)/i.exec(received)?.[1] ?? Infinity)) {
    if (error !== undefined) throw error;
    if (performance.now() - started > 10_000) throw new Error(`no whole answer in 10 s: ${JSON.stringify(received)}`);
    await sleep(5);
  }
  const answeredAt = performance.now();
  return {
    answer: received,
    answeredAt,
    closed,
    error: () => error,
    write: (chunk: Buffer) =>
      new Promise<void>((resolve) => {
        if (socket.destroyed || socket.write(chunk)) return resolve();
        socket.once('drain', resolve);
        socket.once('close', resolve);
      }),
    end: () => socket.end(),
    destroy: () => socket.destroy(),
  };
}

describe('hostile requests', () => {
  it('answers 413 to a declared Content-Length over the limit before any body is sent', async () => {
    const before = await state();
    const post = manualPost({ 'content-length': String(64 * MiB) });
    post.req.flushHeaders();
    const res = await post.answer;
    assert.equal(res.status, 413);
    assert.equal(res.sentWhenAnswered, 0);
    assert.match((JSON.parse(res.body) as { error: string }).error, /larger than the limit of 4194304 bytes/);
    post.req.destroy();
    assert.deepEqual(await state(), before);
  });

  it('keeps reading after a 413, so a client still sending its body is not reset and gets the answer', async () => {
    const post = await rawPost({ 'content-length': String(ARCHIVE_LIMIT * 2) });
    assert.match(post.answer, /^HTTP\/1\.1 413 /);
    assert.match(post.answer, /connection: close/i);
    // the rest of the declared body, after the answer: without a lingering close the
    // server has already closed, and these writes meet a reset (EPIPE / ECONNRESET)
    const chunk = Buffer.alloc(64 * 1024, 0x41);
    for (let sent = 0; sent < ARCHIVE_LIMIT * 2; sent += chunk.length) await post.write(chunk);
    post.end();
    await post.closed;
    assert.equal(post.error(), undefined, `the server reset the connection: ${post.error()?.code}`);
  });

  it('stops lingering after a 413 within its time bound, however long the client goes on sending', async () => {
    const post = await rawPost({ 'content-length': String(1024 * MiB) });
    assert.match(post.answer, /^HTTP\/1\.1 413 /);
    let closedAt: number | undefined;
    void post.closed.then((at) => (closedAt = at));
    const chunk = Buffer.alloc(4 * 1024, 0x41);
    // a trickle, far below the byte bound: only the time bound (2 s) can end this
    while (closedAt === undefined && performance.now() - post.answeredAt < 6_000) {
      await Promise.race([post.write(chunk), post.closed]);
      await sleep(20);
    }
    post.destroy();
    assert.ok(closedAt !== undefined, 'the server was still reading 6 s after answering');
    assert.ok(closedAt - post.answeredAt >= 1_500, `closed ${Math.round(closedAt - post.answeredAt)} ms after answering: too soon to have lingered`);
  });

  it('answers 413 to a streamed body as soon as it passes the limit, while the client is still sending', async () => {
    const before = await state();
    const post = manualPost({ 'transfer-encoding': 'chunked' });
    const chunk = Buffer.alloc(64 * 1024, 0x41);
    const intended = 64 * MiB;
    // 64 KiB at a time, each after the previous one drained, and never finished: only an
    // answer given mid-body stops this loop before the intended 64 MiB are sent
    while (!post.answered() && post.sent() < intended) {
      await Promise.race([post.write(chunk), post.answer]);
      await sleep(1);
    }
    const res = await post.answer;
    assert.equal(res.status, 413);
    assert.equal(res.requestEnded, false, 'the request body was still open when the answer came');
    assert.ok(res.sentWhenAnswered > ARCHIVE_LIMIT && res.sentWhenAnswered < intended, `answered after ${res.sentWhenAnswered} bytes`);
    assert.equal(res.headers['connection'], 'close');
    assert.match((JSON.parse(res.body) as { error: string }).error, /larger than the limit of 4194304 bytes/);
    post.req.destroy();
    assert.deepEqual(await state(), before);
  });

  it(`answers 408 to a body that stops arriving (idle timeout ${IDLE_TIMEOUT_MS} ms)`, async () => {
    const before = await state();
    for (const headers of [{ 'content-length': '100000' }, { 'transfer-encoding': 'chunked' }] as Array<Record<string, string>>) {
      const post = manualPost(headers);
      await post.write(buildTarGz(base()).subarray(0, 100));
      const res = await post.answer;
      assert.equal(res.status, 408, JSON.stringify(headers));
      assert.equal(res.requestEnded, false);
      assert.match((JSON.parse(res.body) as { error: string }).error, /stalled/);
      post.req.destroy();
    }
    assert.deepEqual(await state(), before);
  });

  const long = 'a'.repeat(300);
  const paths: Array<[string, string, number]> = [
    ['a %2e%2e name', `/v1/packages/%2e%2e`, 400],
    ['a %2e%2e%2F%2e%2e name', `/v1/packages/%2e%2e%2F%2e%2e/1.0.0/luau/archive`, 400],
    ['a scope/%2e%2e name', `/v1/packages/acme%2F%2e%2e/1.0.0/luau/archive`, 400],
    ['a %2e%2e version', `/v1/packages/${enc('acme/hello')}/%2e%2e/luau/archive`, 400],
    ['a %2e%2e target', `/v1/packages/${enc('acme/hello')}/1.0.0/%2e%2e/archive`, 400],
    ['a %2e%2e%2f version traversal', `/v1/packages/${enc('acme/hello')}/%2e%2e%2f%2e%2e%2fstorage/luau/archive`, 400],
    ['a %00 in the name', `/v1/packages/acme%2Fhello%00.toml`, 400],
    ['a %00 in the version', `/v1/packages/${enc('acme/hello')}/1.0.0%00/luau`, 400],
    ['invalid percent-encoding', `/v1/packages/acme%2Fhel%ZZlo`, 400],
    ['percent-encoded bytes that are not UTF-8', `/v1/packages/acme%2Fhel%FFlo`, 400],
    ['an over-long name segment', `/v1/packages/${long}`, 400],
    ['an over-long version segment', `/v1/packages/${enc('acme/hello')}/${long}/luau`, 400],
    ['a name part over 32 characters', `/v1/packages/acme%2F${'b'.repeat(33)}`, 400],
    ['an unknown target', `/v1/packages/${enc('acme/hello')}/1.0.0/windows/archive`, 400],
    ['an unknown yank target', `/v1/packages/${enc('acme/hello')}/1.0.0/everything/yank`, 400],
    ['a version without patch', `/v1/packages/${enc('acme/hello')}/1.0/luau`, 400],
    ['a version with a v prefix', `/v1/packages/${enc('acme/hello')}/v1.0.0/luau`, 400],
    ['a version with a leading zero', `/v1/packages/${enc('acme/hello')}/01.0.0/luau`, 400],
    ['a version with an empty pre-release', `/v1/packages/${enc('acme/hello')}/1.0.0-/luau`, 400],
    ['a yank of a bad version', `/v1/packages/${enc('acme/hello')}/latest/luau/yank`, 400],
    ['an unknown package', `/v1/packages/${enc('acme/nope')}`, 404],
    ['an unknown version', `/v1/packages/${enc('acme/hello')}/9.9.9/luau/archive`, 404],
    ['an unpublished target', `/v1/packages/${enc('acme/hello')}/1.0.0/roblox/archive`, 404],
    ['a doc page path traversal', `/v1/packages/${enc('acme/hello')}/1.0.0/luau/doc?doc=..%2F..%2Fconfig`, 404],
    ['raw .. segments', `/v1/packages/../../../etc/passwd`, 404],
    ['an unknown route', `/v1/packages/${enc('acme/hello')}/1.0.0/luau/archive/extra`, 404],
  ];
  for (const [what, p, status] of paths) {
    it(`answers ${status} {"error"} to ${what}`, async () => {
      const before = await state();
      const method = p.endsWith('/yank') ? 'PUT' : 'GET';
      assertErrorAnswer(await server.get(p, { method }), status);
      assert.deepEqual(await state(), before);
    });
  }

  it('still serves the package the hostile requests aimed at', async () => {
    const res = await server.get(`/v1/packages/${enc('acme/hello')}/1.0.0/luau/archive`);
    assert.equal(res.status, 200);
  });
});
