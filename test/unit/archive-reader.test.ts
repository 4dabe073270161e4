import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { create } from 'tar';
import { RegistryError } from '../../src/errors.js';
import { DEFAULT_ARCHIVE_LIMITS, isKeptPath, readArchive } from '../../src/package/archive-reader.js';
import type { ArchiveLimits } from '../../src/package/archive-reader.js';
import {
  buildTar,
  buildTarGz,
  END,
  gzip,
  longNameEntry,
  pad,
  paxEntry,
  rawEntry,
  rawHeader,
} from '../helpers/archive-builder.js';
import type { EntrySpec } from '../helpers/archive-builder.js';

const MiB = 1024 * 1024;

async function rejection(promise: Promise<unknown>): Promise<RegistryError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof RegistryError, `expected a RegistryError, got ${String(error)}`);
    assert.equal(error.kind, 'invalid_package');
    assert.ok(!error.message.includes('\n'), 'messages are one line');
    return error;
  }
  assert.fail('expected the archive to be refused');
}

const refuses = async (input: Buffer, pattern: RegExp, limits?: ArchiveLimits): Promise<void> => {
  const error = await rejection(readArchive(input, limits));
  assert.match(error.message, pattern);
};

const withLimits = (limits: Partial<ArchiveLimits>): ArchiveLimits => ({ ...DEFAULT_ARCHIVE_LIMITS, ...limits });

describe('readArchive: valid archives', () => {
  it('lists every entry and keeps only the manifest, README and docs contents', async () => {
    const contents = await readArchive(
      buildTarGz([
        { path: 'pesde.toml', content: 'name = "a/b"' },
        { path: 'README.md', content: '# hi' },
        { path: 'src', type: 'directory' },
        { path: 'src/init.luau', content: 'return {}' },
        { path: 'docs/intro.md', content: 'intro' },
        { path: 'docs/guide/_category_.json', content: '{}' },
        { path: 'docs/logo.png', content: 'png' },
        { path: 'src/readme.md', content: 'nested readme is not kept' },
      ]),
    );
    assert.deepEqual(contents.entries, [
      { path: 'pesde.toml', type: 'file', size: 12 },
      { path: 'README.md', type: 'file', size: 4 },
      { path: 'src', type: 'directory', size: 0 },
      { path: 'src/init.luau', type: 'file', size: 9 },
      { path: 'docs/intro.md', type: 'file', size: 5 },
      { path: 'docs/guide/_category_.json', type: 'file', size: 2 },
      { path: 'docs/logo.png', type: 'file', size: 3 },
      { path: 'src/readme.md', type: 'file', size: 25 },
    ]);
    assert.deepEqual([...contents.files.keys()], ['pesde.toml', 'README.md', 'docs/intro.md', 'docs/guide/_category_.json']);
    assert.equal(contents.files.get('pesde.toml')?.toString(), 'name = "a/b"');
    assert.equal(contents.unpackedBytes, 512 * 15 + 1024);
  });

  it('keeps exactly the paths later steps read', () => {
    for (const kept of ['pesde.toml', 'README', 'readme.md', 'ReadMe.TXT', 'docs/a.md', 'docs/x/y/_category_.json']) {
      assert.ok(isKeptPath(kept), kept);
    }
    for (const skipped of ['src/pesde.toml', 'README.rst', 'readme.md.bak', 'docs/a.MD', 'docs/img.png', 'documentation/a.md']) {
      assert.ok(!isKeptPath(skipped), skipped);
    }
  });

  it('normalises ./ prefixes, the root ./ entry and repeated slashes', async () => {
    const contents = await readArchive(
      buildTarGz([
        { path: './', type: 'directory' },
        { path: './pesde.toml', content: 'x' },
        { path: './src//./init.luau', content: 'y' },
      ]),
    );
    assert.deepEqual(
      contents.entries.map((e) => e.path),
      ['pesde.toml', 'src/init.luau'],
    );
    assert.equal(contents.files.get('pesde.toml')?.toString(), 'x');
  });

  it('reads archives that tar itself creates from a directory', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'archive-reader-'));
    try {
      await mkdir(path.join(dir, 'pkg/src'), { recursive: true });
      await writeFile(path.join(dir, 'pkg/pesde.toml'), 'name = "a/b"\n');
      await writeFile(path.join(dir, 'pkg/src/init.luau'), 'return 1\n');
      const file = path.join(dir, 'pkg.tar.gz');
      await create({ gzip: true, cwd: path.join(dir, 'pkg'), file, portable: true }, ['.']);
      const contents = await readArchive(await readFile(file));
      assert.deepEqual(
        contents.entries.map((e) => `${e.type} ${e.path}`).sort(),
        ['directory src', 'file pesde.toml', 'file src/init.luau'],
      );
      assert.equal(contents.files.get('pesde.toml')?.toString(), 'name = "a/b"\n');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reads long names from pax headers, GNU long names and the ustar prefix', async () => {
    const long = `${'d'.repeat(60)}/${'e'.repeat(60)}/${'f'.repeat(120)}.luau`;
    const contents = await readArchive(
      gzip(
        Buffer.concat([
          buildTar([{ path: long, content: 'pax' }], { end: false }),
          longNameEntry(`gnu/${'g'.repeat(150)}.luau`),
          rawEntry({ name: 'x' }, 'gnu'),
          rawEntry({ name: 'file.luau', prefix: 'some/prefix' }, 'ustar'),
          END,
        ]),
      ),
    );
    assert.deepEqual(
      contents.entries.map((e) => e.path),
      [long, `gnu/${'g'.repeat(150)}.luau`, 'some/prefix/file.luau'],
    );
  });

  it('ignores a global pax header such as git archive writes, and keeps a pax size equal to the header', async () => {
    const contents = await readArchive(
      gzip(
        Buffer.concat([
          paxEntry([['comment', 'a1b2c3']], 'g'),
          paxEntry([['size', '3'], ['mtime', '1700000000.5']]),
          rawEntry({ name: 'a.txt' }, 'abc'),
          END,
        ]),
      ),
    );
    assert.deepEqual(contents.entries, [{ path: 'a.txt', type: 'file', size: 3 }]);
  });

  it('accepts old-style and contiguous file types and a base-256 size field', async () => {
    const base256 = Buffer.alloc(12);
    base256[0] = 0x80;
    base256[11] = 2;
    const contents = await readArchive(
      gzip(
        Buffer.concat([
          rawEntry({ name: 'old.txt', typeflag: '\0' }, 'o'),
          rawEntry({ name: 'contiguous.txt', typeflag: '7' }, 'c'),
          rawHeader({ name: 'big.txt', sizeField: base256 }),
          pad(Buffer.from('bb')),
          END,
        ]),
      ),
    );
    assert.deepEqual(
      contents.entries.map((e) => [e.path, e.size]),
      [['old.txt', 1], ['contiguous.txt', 1], ['big.txt', 2]],
    );
  });

  it('accepts zero padding after the end marker and after the gzip stream, and no end marker at all', async () => {
    const tar = buildTar([{ path: 'a.txt', content: 'a' }], { end: false });
    for (const input of [
      gzip(Buffer.concat([tar, Buffer.alloc(10240)])),
      Buffer.concat([gzip(Buffer.concat([tar, END])), Buffer.alloc(100)]),
      gzip(tar),
    ]) {
      const contents = await readArchive(input);
      assert.deepEqual(contents.entries.map((e) => e.path), ['a.txt']);
    }
  });

  it('reads an empty tar as no entries', async () => {
    const contents = await readArchive(gzip(END));
    assert.deepEqual(contents.entries, []);
  });

  it('reads a multi-member gzip as one stream (RFC 1952)', async () => {
    const tar = buildTar([{ path: 'a.txt', content: 'a' }, { path: 'b.txt', content: 'b' }]);
    const contents = await readArchive(Buffer.concat([gzip(tar.subarray(0, 1024)), gzip(tar.subarray(1024))]));
    assert.deepEqual(contents.entries.map((e) => e.path), ['a.txt', 'b.txt']);
  });
});

describe('readArchive: hostile paths and entry types', () => {
  const cases: Array<[string, EntrySpec[] | Buffer, RegExp]> = [
    ['a ../ segment', [{ path: '../evil.luau', content: 'x' }], /"\.\.\/evil\.luau" has a "\.\." segment/],
    ['a ../ segment deeper down', [{ path: 'src/../../evil', content: 'x' }], /has a "\.\." segment/],
    ['./.. ', [{ path: './..', type: 'directory' }], /has a "\.\." segment/],
    ['an absolute path', gzip(Buffer.concat([rawEntry({ name: '/etc/passwd' }, 'x'), END])), /"\/etc\/passwd" has an absolute path/],
    ['a drive letter', [{ path: 'C:/evil.luau', content: 'x' }], /has a drive letter/],
    ['a relative drive letter', [{ path: 'C:evil', content: 'x' }], /has a drive letter/],
    ['a backslash', [{ path: 'src\\..\\evil', content: 'x' }], /has a backslash/],
    ['a control character', [{ path: 'a\nb', content: 'x' }], /control character/],
    ['a symbolic link', [{ path: 'src/x', type: 'symlink', linkpath: '/etc/passwd' }], /^archive contains a symbolic link "src\/x": pack real files only$/],
    ['a hard link', [{ path: 'src/x', type: 'hardlink', linkpath: 'pesde.toml' }], /contains a hard link "src\/x"/],
    ['a character device', [{ path: 'dev', type: 'char' }], /contains a device file "dev"/],
    ['a block device', [{ path: 'dev', type: 'block' }], /contains a device file "dev"/],
    ['a FIFO', [{ path: 'pipe', type: 'fifo' }], /contains a FIFO "pipe"/],
    ['a sparse file type', gzip(Buffer.concat([rawEntry({ name: 'sparse', typeflag: 'S' }), END])), /unsupported tar type "S"/],
    ['a GNU dump dir', gzip(Buffer.concat([rawEntry({ name: 'dump', typeflag: 'D' }), END])), /unsupported tar type "D"/],
    ['a file named like a directory', gzip(Buffer.concat([rawEntry({ name: 'src/', typeflag: '0' }), END])), /file entry named like a directory/],
    ['an empty file name', gzip(Buffer.concat([rawEntry({ name: '.' }, 'x'), END])), /file with an empty name/],
    ['a duplicate file', [{ path: 'a.luau', content: '1' }, { path: 'a.luau', content: '2' }], /contains "a\.luau" twice/],
    ['a duplicate after normalising', [{ path: 'src/a', content: '1' }, { path: './src/./a', content: '2' }], /twice/],
    ['a duplicate directory', [{ path: 'src', type: 'directory' }, { path: 'src/', type: 'directory' }], /twice/],
    ['a file below a file', [{ path: 'a', content: '1' }, { path: 'a/b', content: '2' }], /"a" as both a file and a directory/],
    ['a file over a directory', [{ path: 'a/b', content: '1' }, { path: 'a', content: '2' }], /"a" as both a file and a directory/],
  ];
  for (const [name, input, pattern] of cases) {
    it(`refuses ${name}`, () => refuses(Buffer.isBuffer(input) ? input : buildTarGz(input), pattern));
  }

  it('refuses a name that is not UTF-8, in a ustar header, a pax path and a GNU long name', async () => {
    const latin1 = Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x2e, 0x6c, 0x75, 0x61]); // "café.lua" in Latin-1
    await refuses(gzip(Buffer.concat([rawEntry({ name: latin1 }, 'x'), END])), /not valid UTF-8/);
    await refuses(gzip(Buffer.concat([paxEntry([['path', latin1]]), rawEntry({ name: 'x' }, 'x'), END])), /not valid UTF-8/);
    await refuses(gzip(Buffer.concat([longNameEntry(latin1), rawEntry({ name: 'x' }, 'x'), END])), /not valid UTF-8/);
  });

  it('refuses a too long path', () =>
    refuses(buildTarGz([{ path: `${'a'.repeat(60)}/${'b'.repeat(60)}`, content: 'x' }]), /longer than 100 bytes/, withLimits({ maxPathBytes: 100 })));
});

describe('readArchive: tar reader disagreements (entry smuggling)', () => {
  it('refuses a pax size that differs from the header size (CVE-2025-62518)', async () => {
    const smuggled = buildTar([{ path: 'evil', type: 'symlink', linkpath: '/' }], { end: false });
    const input = gzip(Buffer.concat([paxEntry([['size', String(smuggled.length)]]), rawHeader({ name: 'innocent.txt', size: 0 }), smuggled, END]));
    await refuses(input, /pax size \(512\) that differs from its header size \(0\)/);
  });

  it('refuses a directory header that carries data', () =>
    refuses(gzip(Buffer.concat([rawEntry({ name: 'dir/', typeflag: '5' }, 'hidden'), END])), /directory entry "dir\/" carries 6 bytes/));

  it('refuses entries after a lone zero block, and any garbage after the end marker', async () => {
    const first = buildTar([{ path: 'a.txt', content: 'a' }], { end: false });
    const hidden = buildTar([{ path: 'evil', type: 'symlink', linkpath: '/' }], { end: false });
    await refuses(gzip(Buffer.concat([first, Buffer.alloc(512), hidden, END])), /data after its end-of-archive marker/);
    await refuses(gzip(Buffer.concat([first, END, Buffer.from('garbage')])), /data after its end-of-archive marker/);
  });

  it('refuses ambiguous extended headers', async () => {
    const file = rawEntry({ name: 'x' }, 'x');
    await refuses(gzip(Buffer.concat([paxEntry([['path', 'a']]), paxEntry([['path', 'b']]), file, END])), /two pax headers for one entry/);
    await refuses(gzip(Buffer.concat([longNameEntry('a'), longNameEntry('b'), file, END])), /two GNU long-name headers/);
    await refuses(gzip(Buffer.concat([paxEntry([['path', 'a']]), longNameEntry('b'), file, END])), /both a pax path and a GNU long name/);
    await refuses(gzip(Buffer.concat([paxEntry([['path', 'a'], ['path', 'b']]), file, END])), /sets "path" twice/);
    await refuses(gzip(Buffer.concat([paxEntry([['path', 'evil']], 'g'), file, END])), /global pax header that sets "path"/);
    await refuses(gzip(Buffer.concat([paxEntry([['GNU.sparse.map', '0,1']]), file, END])), /sparse file/);
    await refuses(gzip(Buffer.concat([paxEntry([['size', '-1']]), file, END])), /pax size "-1"/);
    await refuses(gzip(Buffer.concat([rawEntry({ name: 'PaxHeader', typeflag: 'x' }, '99 path=x\n'), file, END])), /malformed pax/);
  });

  it('honours a pax path containing a newline instead of dropping it, then refuses the name', () =>
    refuses(gzip(Buffer.concat([paxEntry([['path', 'a\nb']]), rawEntry({ name: 'x' }, 'x'), END])), /control character/));

  it('refuses a size field a strict reader would not accept', async () => {
    for (const field of ['0000000001x\0', '\0\0\0\0\0\0\0\0\0\0\0\0', '-0000000001\0']) {
      await refuses(gzip(Buffer.concat([rawHeader({ name: 'a', sizeField: Buffer.from(field, 'latin1') }), END])), /invalid size field/);
    }
  });
});

describe('readArchive: broken input', () => {
  it('refuses empty input, non-gzip input and an uncompressed tar', async () => {
    await refuses(Buffer.alloc(0), /archive is empty/);
    await refuses(Buffer.from('PK\u0003\u0004 this is a zip'), /not gzip-compressed/);
    await refuses(buildTar([{ path: 'a', content: 'a' }]), /not gzip-compressed/);
  });

  it('refuses a truncated gzip stream', async () => {
    const whole = buildTarGz([{ path: 'pesde.toml', content: 'x'.repeat(5000) }]);
    await refuses(whole.subarray(0, whole.length - 10), /truncated: the gzip stream ends early/);
    await refuses(whole.subarray(0, 12), /truncated/);
  });

  it('refuses a corrupt gzip stream and garbage after it', async () => {
    const whole = buildTarGz([{ path: 'pesde.toml', content: 'name = "x"' }]);
    const corrupt = Buffer.from(whole);
    corrupt[12] = (corrupt[12] as number) ^ 0xff;
    await refuses(corrupt, /not valid gzip data|truncated/);
    await refuses(Buffer.concat([whole, Buffer.from('trailing garbage')]), /data after the end of its gzip stream/);
  });

  it('refuses gzip data that is not a tar', async () => {
    await refuses(gzipSync(Buffer.from('just some text, definitely not a tar archive\n'.repeat(40))), /not a tar archive/);
    await refuses(gzipSync(Buffer.from('tiny')), /not a tar archive/);
    await refuses(gzipSync(buildTarGz([{ path: 'a', content: 'a' }])), /not a tar archive/);
    await refuses(gzipSync(Buffer.alloc(0)), /archive is empty/);
  });

  it('refuses a corrupt header after valid entries, and a tar cut inside an entry', async () => {
    const good = buildTar([{ path: 'a', content: 'a' }], { end: false });
    await refuses(gzip(Buffer.concat([good, rawHeader({ name: 'b', badChecksum: true }), END])), /corrupt tar header after entry 1/);
    await refuses(gzip(Buffer.concat([good, rawHeader({ name: 'b', size: 2000 }), Buffer.alloc(100, 1)])), /truncated inside "b"/);
    await refuses(gzip(Buffer.concat([good, Buffer.alloc(100, 1)])), /truncated/);
    await refuses(gzip(Buffer.concat([good, paxEntry([['path', 'dangling']])])), /ends with an extended header/);
  });
});

describe('readArchive: limits', () => {
  it('uses documented defaults', () => {
    assert.deepEqual({ ...DEFAULT_ARCHIVE_LIMITS }, {
      maxEntries: 10_000,
      maxUnpackedBytes: 256 * MiB,
      maxFileBytes: 128 * MiB,
      maxPathBytes: 1024,
    });
  });

  it('refuses more than maxEntries entries', async () => {
    const entries = Array.from({ length: 10_001 }, (_, i): EntrySpec => ({ path: `f/${i}` }));
    await refuses(buildTarGz(entries), /more than 10000 entries/);
    await refuses(buildTarGz(entries.slice(0, 6)), /more than 5 entries/, withLimits({ maxEntries: 5 }));
    const ok = await readArchive(buildTarGz(entries.slice(0, 5)), withLimits({ maxEntries: 5 }));
    assert.equal(ok.entries.length, 5);
  });

  it('refuses a file above maxFileBytes from its header, before reading it', () =>
    refuses(gzip(Buffer.concat([rawHeader({ name: 'big.bin', size: 2000 })])), /"big\.bin" is 2000 bytes, more than the 1000-byte limit/, withLimits({ maxFileBytes: 1000 })));

  it('refuses files whose declared sizes add up to more than maxUnpackedBytes', () =>
    refuses(
      gzip(Buffer.concat([rawEntry({ name: 'a' }, Buffer.alloc(600)), rawHeader({ name: 'b', size: 600 })])),
      /unpacks to more than 1000 bytes/,
      withLimits({ maxUnpackedBytes: 1000 }),
    ));

  describe('gzip bombs (1 GiB unpacked, about 1 MB compressed)', () => {
    // A gzip of 1 MiB of zeros is about 1 KiB; 1024 members of it unpack to 1 GiB.
    const zerosMember = gzipSync(Buffer.alloc(MiB), { level: 9 });
    const oneGiBOfZeros = Array.from({ length: 1024 }, () => zerosMember);
    // Reaching this would mean the whole bomb was inflated: it is not gzip.
    const tripwire = Buffer.from('not gzip: reached the end of the bomb');

    async function expectQuickRefusal(bomb: Buffer, pattern: RegExp): Promise<void> {
      assert.ok(bomb.length < 2 * MiB, `bomb is ${bomb.length} bytes compressed`);
      const rssBefore = process.memoryUsage().rss;
      const started = performance.now();
      await refuses(bomb, pattern);
      const elapsed = performance.now() - started;
      // the error pattern (not the tripwire's) proves it stopped early; the time bound is only
      // generous enough to catch inflating the whole GiB on a loaded machine
      assert.ok(elapsed < 30_000, `took ${elapsed.toFixed(0)} ms`);
      const grown = process.memoryUsage().rss - rssBefore;
      assert.ok(grown < 200 * MiB, `memory grew by ${(grown / MiB).toFixed(0)} MiB`);
    }

    it('refuses one 1 GiB file from its header without inflating it', () =>
      expectQuickRefusal(
        Buffer.concat([gzip(rawHeader({ name: 'bomb.bin', size: 1024 * MiB })), ...oneGiBOfZeros, tripwire]),
        /"bomb\.bin" is 1073741824 bytes, more than the 134217728-byte limit/,
      ));

    it('refuses many honest 64 MiB files once their sum passes the cap', () => {
      const header = (i: number): Buffer => gzip(rawHeader({ name: `part${i}.bin`, size: 64 * MiB }));
      const members: Buffer[] = [];
      for (let i = 0; i < 16; i++) members.push(header(i), ...oneGiBOfZeros.slice(0, 64));
      return expectQuickRefusal(Buffer.concat([...members, tripwire]), /unpacks to more than 268435456 bytes/);
    });

    it('stops inflating while streaming when the bytes themselves pass the cap (zeros after the end marker)', () =>
      expectQuickRefusal(
        Buffer.concat([gzip(buildTar([{ path: 'pesde.toml', content: 'x' }])), ...oneGiBOfZeros, tripwire]),
        /unpacks to more than 268435456 bytes/,
      ));
  });
});
