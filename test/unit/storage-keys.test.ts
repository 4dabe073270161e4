import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RegistryError } from '../../src/errors.js';
import type { PackageName, TargetKind, VersionId } from '../../src/index-repo/types.js';
import {
  archiveKey,
  assertSafeKey,
  assertSafePrefix,
  docKey,
  metaForKey,
  readmeKey,
} from '../../src/storage/keys.js';

const pkg = (scope: string, name: string): PackageName => ({ scope, name, full: `${scope}/${name}` });
const id = (version: string, target: string): VersionId => ({
  version,
  target: target as TargetKind,
});

const isUnsafe = (error: unknown) =>
  error instanceof RegistryError && error.kind === 'invalid_input';

describe('archiveKey and readmeKey', () => {
  const cases: Array<{ name: PackageName; id: VersionId; dir: string }> = [
    { name: pkg('acme', 'thing'), id: id('1.0.0', 'lune'), dir: 'acme/thing/1.0.0/lune' },
    {
      name: pkg('acme', 'thing'),
      id: id('1.0.0-rc.1+build.5', 'roblox_server'),
      dir: 'acme/thing/1.0.0-rc.1+build.5/roblox_server',
    },
    { name: pkg('a_b', 'c_d'), id: id('0.0.1', 'luau'), dir: 'a_b/c_d/0.0.1/luau' },
    { name: pkg('x', 'y'), id: id('10.20.30-alpha-1', 'roblox'), dir: 'x/y/10.20.30-alpha-1/roblox' },
  ];
  for (const c of cases) {
    it(`lays out ${c.dir}`, () => {
      assert.equal(archiveKey(c.name, c.id), `${c.dir}/pkg.tar.gz`);
      assert.equal(readmeKey(c.name, c.id), `${c.dir}/readme.gz`);
    });
  }

  const rejected: Array<{ why: string; name: PackageName; id: VersionId }> = [
    { why: 'a version that climbs up', name: pkg('acme', 'thing'), id: id('..', 'lune') },
    { why: 'a version with a slash', name: pkg('acme', 'thing'), id: id('1.0.0/../../x', 'lune') },
    { why: 'an empty version', name: pkg('acme', 'thing'), id: id('', 'lune') },
    { why: 'a version with a backslash', name: pkg('acme', 'thing'), id: id('1.0.0\\x', 'lune') },
    { why: 'a version starting with a dot', name: pkg('acme', 'thing'), id: id('.1.0', 'lune') },
    { why: 'an unknown target', name: pkg('acme', 'thing'), id: id('1.0.0', '../etc') },
    { why: 'a scope of ..', name: pkg('..', 'thing'), id: id('1.0.0', 'lune') },
    { why: 'a name with a slash', name: pkg('acme', '../../etc'), id: id('1.0.0', 'lune') },
    { why: 'a hidden name', name: pkg('acme', '.git'), id: id('1.0.0', 'lune') },
    { why: 'an empty scope', name: pkg('', 'thing'), id: id('1.0.0', 'lune') },
    { why: 'a NUL byte', name: pkg('acme', 'th\u0000ing'), id: id('1.0.0', 'lune') },
  ];
  for (const c of rejected) {
    it(`rejects ${c.why}`, () => {
      assert.throws(() => archiveKey(c.name, c.id), isUnsafe);
      assert.throws(() => readmeKey(c.name, c.id), isUnsafe);
    });
  }
});

describe('docKey', () => {
  it('puts pages under Doc/', () => {
    const hash = 'ab'.repeat(32);
    assert.equal(docKey(hash), `Doc/${hash}.gz`);
  });
  for (const hash of ['', '..', '../x', 'a/b', 'xyz', 'ab cd']) {
    it(`rejects ${JSON.stringify(hash)}`, () => {
      assert.throws(() => docKey(hash), isUnsafe);
    });
  }
});

describe('assertSafeKey', () => {
  const safe = ['a', 'a/b', 'acme/thing/1.0.0+build.1/lune/pkg.tar.gz', 'Doc/ff.gz', 'a-b_c/d'];
  for (const key of safe) {
    it(`accepts ${JSON.stringify(key)}`, () => assert.equal(assertSafeKey(key), key));
  }
  const unsafe = [
    '',
    '/abs',
    'a/',
    'a//b',
    '.',
    '..',
    'a/./b',
    'a/../b',
    '../a',
    'a/..',
    'a/.tmp',
    'a\\b',
    'a\nb',
    'x'.repeat(256),
  ];
  for (const key of unsafe) {
    it(`rejects ${JSON.stringify(key.length > 20 ? `${key.slice(0, 20)}...` : key)}`, () => {
      assert.throws(() => assertSafeKey(key), isUnsafe);
    });
  }
});

describe('assertSafePrefix', () => {
  for (const prefix of ['', 'a', 'a/', 'a/b', 'acme/thing/1.0.0+b', 'Doc/']) {
    it(`accepts ${JSON.stringify(prefix)}`, () => assert.equal(assertSafePrefix(prefix), prefix));
  }
  for (const prefix of ['/', '/a', '../', 'a/../', 'a//', 'a/.', '.']) {
    it(`rejects ${JSON.stringify(prefix)}`, () => {
      assert.throws(() => assertSafePrefix(prefix), isUnsafe);
    });
  }
});

describe('metaForKey', () => {
  const cases = [
    { key: 'acme/thing/1.0.0/lune/pkg.tar.gz', meta: { contentType: 'application/gzip' } },
    {
      key: 'acme/thing/1.0.0/lune/readme.gz',
      meta: { contentType: 'text/plain', contentEncoding: 'gzip' },
    },
    { key: 'Doc/abcdef.gz', meta: { contentType: 'text/plain', contentEncoding: 'gzip' } },
    { key: 'other/file.bin', meta: { contentType: 'application/octet-stream' } },
  ];
  for (const c of cases) {
    it(`serves ${c.key} as ${c.meta.contentType}`, () => assert.deepEqual(metaForKey(c.key), c.meta));
  }
});
