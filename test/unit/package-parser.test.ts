/**
 * Package files too large to parse on the event loop: parsed in the worker thread, which
 * also renders their versions list, byte for byte what the main thread renders, with a
 * gzip form that unpacks to it; small files are parsed where they are asked for.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { parseIndexFile, serializeIndexFile } from '../../src/index-repo/package-file.js';
import type { IndexFile } from '../../src/index-repo/types.js';
import { INLINE_MAX_CHARS, parsePackageFileToServe, scanPackageFile } from '../../src/server/package-parser.js';
import { scanIndexFile } from '../../src/server/package-scan.js';
import { PackageRecord } from '../../src/server/package-record.js';

const name = { scope: 'acme', name: 'large', full: 'acme/large' };

function fileText(entries: number): string {
  const file: IndexFile = {
    deprecated: 'use acme/other',
    entries: Array.from({ length: entries }, (_, i) => ({
      id: { version: `1.${i % 7}.${i}`, target: i % 3 === 0 ? ('roblox' as const) : ('luau' as const) },
      entry: {
        published_at: '2025-01-01T00:00:00Z',
        description: `version ${i} ${'d'.repeat(200)}`,
        ...(i % 5 === 0 ? { yanked: true } : {}),
        target: i % 3 === 0 ? { environment: 'roblox', lib: 'src/init.luau', build_files: ['src'] } : { environment: 'luau', lib: 'src/init.luau' },
      },
    })),
  };
  return serializeIndexFile(file);
}

describe('package files to serve', () => {
  it('renders the versions list of a large file in the worker, as the main thread would, with its gzip form', async () => {
    const text = fileText(600);
    assert.ok(text.length > INLINE_MAX_CHARS);
    const served = await parsePackageFileToServe(text, 'acme/large', name);
    const expected = new PackageRecord(name, parseIndexFile(text, 'acme/large')).versionsJson().text;
    assert.deepEqual(served.file, parseIndexFile(text, 'acme/large'));
    assert.equal(Buffer.from(served.versions!.bytes).toString('utf8'), expected);
    assert.ok(served.versions?.gzip, 'no gzip form');
    assert.equal(gunzipSync(served.versions.gzip).toString('utf8'), expected);
    // a record built with it answers with those bytes
    const record = new PackageRecord(name, served.file, undefined, served.versions);
    assert.equal(record.versionsJson().text, expected);
    assert.equal(gunzipSync(record.versionsJson().gzip()!).toString('utf8'), expected);
  });

  it('returns a file of several MB, which comes back from the worker in parts, whole and in order', async () => {
    const text = fileText(8000);
    assert.ok(text.length > 2_000_000, `${text.length} chars: several parts of 256 KB`);
    const [large, next] = await Promise.all([parsePackageFileToServe(text, 'acme/large', name), parsePackageFileToServe(fileText(601), 'acme/next', name)]);
    assert.deepEqual(large.file, parseIndexFile(text, 'acme/large'));
    assert.equal(Buffer.from(large.versions!.bytes).toString('utf8'), new PackageRecord(name, parseIndexFile(text, 'acme/large')).versionsJson().text);
    // the job after it gets its own entries only
    assert.deepEqual(next.file, parseIndexFile(fileText(601), 'acme/next'));
  });

  it('builds a large file\'s record from the layout the worker worked out, answering as one built on the event loop', async () => {
    const file: IndexFile = {
      entries: Array.from({ length: 3000 }, (_, i) => {
        const version = i % 10 === 9 ? `3.0.0-beta.${i}` : `2.${i % 4}.${i % 700}`;
        const target = i % 2 === 0 ? ('roblox' as const) : ('luau' as const);
        return { id: { version, target }, entry: { published_at: `2025-01-${String(1 + (i % 28)).padStart(2, '0')}T00:00:00Z`, description: `v ${i} ${'x'.repeat(120)}`, ...(i % 3 === 0 ? { yanked: true } : {}), target: { environment: target, lib: 'src/init.luau' } } };
      }),
    };
    const text = serializeIndexFile(file);
    assert.ok(text.length > INLINE_MAX_CHARS);
    const served = await parsePackageFileToServe(text, 'acme/large', name);
    assert.ok(served.layout !== undefined, 'the worker sent a layout');
    const fromWorker = new PackageRecord(name, served.file, undefined, served.versions, served.layout);
    const here = new PackageRecord(name, parseIndexFile(text, 'acme/large'));
    assert.equal(fromWorker.latestVersion, here.latestVersion);
    assert.deepEqual(fromWorker.searchable?.id, here.searchable?.id);
    assert.equal(fromWorker.versionsJson().text, here.versionsJson().text);
    assert.equal(fromWorker.v0Json().text, here.v0Json().text);
    for (const version of ['2.1.5', '3.0.0-beta.9', '9.9.9']) {
      for (const target of [{ kind: 'any' as const }, { kind: 'specific' as const, target: 'luau' as const }]) {
        const a = fromWorker.resolve({ kind: 'specific', version }, target);
        const b = here.resolve({ kind: 'specific', version }, target);
        assert.equal(a === null ? null : fromWorker.versionJson(a).text, b === null ? null : here.versionJson(b).text, `${version} ${target.kind}`);
      }
    }
    assert.equal(fromWorker.versionJson(fromWorker.resolve({ kind: 'latest' }, { kind: 'any' })!).text, here.versionJson(here.resolve({ kind: 'latest' }, { kind: 'any' })!).text);
  });

  it('builds a record with nothing for search from the worker\'s layout when every entry is yanked', async () => {
    const file = parseIndexFile(fileText(600), 'acme/large');
    const text = serializeIndexFile({ entries: file.entries.map(({ id, entry }) => ({ id, entry: { ...entry, yanked: true } })) });
    const served = await parsePackageFileToServe(text, 'acme/large', name);
    assert.equal(served.layout?.searchable, -1);
    const fromWorker = new PackageRecord(name, served.file, undefined, served.versions, served.layout);
    const here = new PackageRecord(name, parseIndexFile(text, 'acme/large'));
    assert.equal(fromWorker.searchable, null);
    assert.equal(here.searchable, null);
    assert.equal(fromWorker.latestVersion, here.latestVersion);
  });

  it('parses a small file where it is asked for, without rendering anything', () => {
    const text = fileText(3);
    const served = parsePackageFileToServe(text, 'acme/small', name);
    assert.ok(!(served instanceof Promise));
    assert.equal(served.versions, undefined);
    assert.deepEqual(served.file, parseIndexFile(text, 'acme/small'));
  });

  it('scans a large file in the worker as the main thread would', async () => {
    const blob = Buffer.from(fileText(600));
    const scanned = await scanPackageFile(blob, 'acme/large');
    assert.ok(scanned !== null);
    assert.deepEqual(scanned, scanIndexFile(blob));
    const small = Buffer.from(fileText(2));
    assert.deepEqual(scanPackageFile(small, 'acme/small'), scanIndexFile(small));
  });

  it('reports a file that does not parse', async () => {
    const text = `${fileText(600)}\n[[[not toml`;
    await assert.rejects(Promise.resolve(parsePackageFileToServe(text, 'acme/broken', name)));
  });
});
