import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RegistryError } from '../../src/errors.js';
import {
  findEntry,
  insertEntry,
  parseIndexFile,
  serializeIndexFile,
  sortDocs,
  sortEntries,
} from '../../src/index-repo/package-file.js';
import { parseScopeInfo, serializeScopeInfo } from '../../src/index-repo/scope-file.js';
import { tomlDocument, tomlInlineValue, tomlKey, tomlString } from '../../src/index-repo/toml-emit.js';
import type { TomlValue } from '../../src/index-repo/toml-emit.js';
import type { IndexEntry, IndexFile } from '../../src/index-repo/types.js';
import { formatVersionId, parseVersionId } from '../../src/index-repo/version.js';
import { cloneFixtureIndex, git, readObjects } from '../helpers/fixture-index.js';
import { assertInvalid } from '../helpers/registry-error.js';

/**
 * What the current official writer does to a file written by the registry before February
 * 2025, when it rewrites it: timestamps lose trailing zeros (chrono wrote nine fraction
 * digits, jiff writes as many as needed) and dependency aliases are sorted ignoring case
 * (older clients sorted them byte-wise). A file this changes was written by an older writer.
 */
function asCurrentWriterWouldRewrite(text: string): string {
  const lines = text
    .split('\n')
    .map((line) => line.replace(/^(published_at = "[^".]*)(?:\.(\d*?)0+)?Z"$/, (_, head: string, digits?: string) => `${head}${digits ? `.${digits}` : ''}Z"`));
  for (let i = 0; i < lines.length; i++) {
    if (!(lines[i] as string).endsWith('.dependencies]')) continue;
    let end = i + 1;
    while (end < lines.length && lines[end] !== '') end++;
    const alias = (line: string): string => (line.split(' = ')[0] as string).toLowerCase();
    const sorted = lines.slice(i + 1, end).sort((a, b) => (alias(a) < alias(b) ? -1 : alias(a) > alias(b) ? 1 : 0));
    lines.splice(i + 1, sorted.length, ...sorted);
  }
  return lines.join('\n');
}

const REGISTRY_COMMIT = /^(add|yank|unyank|deprecate|undeprecate) /;

/** The first registry with nine-digit timestamps and byte-wise alias order wrote its last file then. */
const OLDER_WRITER_LAST_SEEN = '2025-02-06';

describe('toml-emit', () => {
  it('quotes strings the way toml_writer does', () => {
    const cases: Array<[string, string]> = [
      ['plain', '"plain"'],
      ["it's", `"it's"`],
      ['say "hi"', `'say "hi"'`],
      ['a\\b', `'a\\b'`],
      ['"""', `'"""'`],
      // Both quote kinds: a multi-line basic string needs no escapes for up to two `"`.
      [`it's "x"`, `"""it's "x""""`],
      [`it's \\ "q"`, `'''it's \\ "q"'''`],
      ['Game Framework for Roblox.\n', '"""\nGame Framework for Roblox.\n"""'],
      ['line1\nline2', '"""\nline1\nline2"""'],
      ['a\tb', '"a\\tb"'],
      ['bell\u0007', '"bell\\u0007"'],
      ['a\r\nb', '"""\na\\r\nb"""'],
      ['café ☕', '"café ☕"'],
    ];
    for (const [input, output] of cases) assert.equal(tomlString(input), output, JSON.stringify(input));
  });

  it('writes every character the same whether a string takes the plain path or the character rules', () => {
    // quotes, backslash and control characters (DEL included) send a string through the rules
    for (let code = 0; code <= 0x80; code++) {
      const c = String.fromCharCode(code);
      const special = code === 0x22 || code === 0x5c || code <= 0x1f || code === 0x7f;
      if (!special) assert.equal(tomlString(`a${c}b`), `"a${c}b"`, `U+${code.toString(16)}`);
    }
    assert.equal(tomlString('a\u007fb'), '"a\\u007Fb"');
    assert.equal(tomlString('a\u001fb'), '"a\\u001Fb"');
    assert.equal(tomlString('a\u007fb\nc'), '"""\na\\u007Fb\nc"""');
    assert.equal(tomlKey('1.0.0 luau\u007f'), '"1.0.0 luau\\u007F"');
    assert.equal(tomlKey("it's 1"), `"it's 1"`);
  });

  it('quotes keys only when they need it', () => {
    assert.equal(tomlKey('luau-lsp'), 'luau-lsp');
    assert.equal(tomlKey('Dialogue_2'), 'Dialogue_2');
    assert.equal(tomlKey('1.0.0 luau'), '"1.0.0 luau"');
    assert.equal(tomlKey('a"b'), `'a"b'`);
    assert.equal(tomlKey(`a'"b`), `"a'\\"b"`);
    assert.equal(tomlKey(''), '""');
  });

  it('writes inline values', () => {
    assert.equal(tomlInlineValue(['a', 'b']), '["a", "b"]');
    assert.equal(tomlInlineValue([]), '[]');
    assert.equal(tomlInlineValue({}), '{}');
    assert.equal(tomlInlineValue([{ name: 'a/b', target: undefined, n: 3 }, 'dev']), '[{ name = "a/b", n = 3 }, "dev"]');
    assert.equal(tomlInlineValue(18446744073709551615n), '18446744073709551615');
    assert.throws(() => tomlInlineValue(1.5), TypeError);
  });

  it('lays out sections depth first, skipping ones with only sub-sections', () => {
    const text = tomlDocument(
      new Map<string, TomlValue>([
        ['top', 1],
        ['a', { b: { c: 'x' }, list: [{ k: 1 }, { k: 2, sub: { z: true } }] }],
        ['empty', {}],
        ['values', { v: [] }],
      ]),
    );
    assert.equal(
      text,
      'top = 1\n\n[a.b]\nc = "x"\n\n[[a.list]]\nk = 1\n\n[[a.list]]\nk = 2\n\n[a.list.sub]\nz = true\n\n[empty]\n\n[values]\nv = []\n',
    );
  });

  it('keeps the order of Map keys that look like numbers', () => {
    assert.equal(tomlDocument({ t: new Map([['b', 1], ['10', 2], ['2', 3]]) }), '[t]\nb = 1\n10 = 2\n2 = 3\n');
  });
});

const entry = (published_at: string, extra: Partial<IndexEntry> = {}): IndexEntry => ({
  published_at,
  target: { environment: 'luau', lib: 'src/init.luau' },
  ...extra,
});

describe('index files', () => {
  it('writes every field in the official layout', () => {
    const file: IndexFile = {
      deprecated: 'use acme/bar instead',
      entries: [
        {
          id: parseVersionId('1.0.0 lune'),
          entry: {
            published_at: '2025-10-24T16:42:55.401532168Z',
            description: 'Says "hello"',
            license: 'MIT',
            authors: ['A <a@example.com>', 'B'],
            repository: 'https://github.com/acme/foo',
            yanked: true,
            target: { environment: 'lune', lib: 'lib.luau', bin: 'bin.luau', scripts: { roblox_sync_config_generator: 'a.luau', '10': 'b.luau' } },
            engines: { lune: '^0.10.0', pesde: '^0.7.0' },
            dependencies: {
              zeta: [{ repo: 'https://github.com/acme/zeta.git', rev: 'main', path: 'pkg' }, 'peer'],
              Alpha: [{ wally: 'wally#acme/alpha', version: '^1.0.0', index: 'https://github.com/UpliftGames/wally-index' }, 'standard'],
              beta: [{ name: 'acme/beta', version: '^2.0.0', index: 'https://github.com/pesde-pkg/index', target: 'luau' }, 'dev'],
            },
          },
        },
        {
          id: parseVersionId('1.0.0 roblox'),
          entry: {
            published_at: '2025-10-24T16:42:50Z',
            target: { environment: 'roblox', lib: 'src/init.luau', build_files: ['src', 'assets', 'src'] },
            docs: [
              { label: 'Zebra', name: 'zebra', hash: 'aa' },
              {
                label: 'Guides',
                position: 2,
                collapsed: true,
                items: [
                  { label: 'B', name: 'guides/b', hash: 'bb' },
                  { label: 'A', position: 1, name: 'guides/a', hash: 'cc' },
                ],
              },
              { label: 'Intro', position: 1, name: 'intro', hash: 'dd' },
              { label: 'Empty', items: [] },
            ],
          },
        },
      ],
    };
    const expected = `[meta]
deprecated = "use acme/bar instead"

["1.0.0 roblox"]
published_at = "2025-10-24T16:42:50Z"

["1.0.0 roblox".target]
environment = "roblox"
lib = "src/init.luau"
build_files = ["assets", "src"]

[["1.0.0 roblox".docs]]
label = "Intro"
position = 1
name = "intro"
hash = "dd"

[["1.0.0 roblox".docs]]
label = "Guides"
position = 2
collapsed = true

[["1.0.0 roblox".docs.items]]
label = "A"
position = 1
name = "guides/a"
hash = "cc"

[["1.0.0 roblox".docs.items]]
label = "B"
name = "guides/b"
hash = "bb"

[["1.0.0 roblox".docs]]
label = "Empty"

[["1.0.0 roblox".docs]]
label = "Zebra"
name = "zebra"
hash = "aa"

["1.0.0 lune"]
published_at = "2025-10-24T16:42:55.401532168Z"
description = 'Says "hello"'
license = "MIT"
authors = ["A <a@example.com>", "B"]
repository = "https://github.com/acme/foo"
yanked = true

["1.0.0 lune".target]
environment = "lune"
lib = "lib.luau"
bin = "bin.luau"

["1.0.0 lune".target.scripts]
10 = "b.luau"
roblox_sync_config_generator = "a.luau"

["1.0.0 lune".engines]
pesde = "^0.7.0"
lune = "^0.10.0"

["1.0.0 lune".dependencies]
Alpha = [{ wally = "wally#acme/alpha", version = "^1.0.0", index = "https://github.com/UpliftGames/wally-index" }, "standard"]
beta = [{ name = "acme/beta", version = "^2.0.0", index = "https://github.com/pesde-pkg/index", target = "luau" }, "dev"]
zeta = [{ repo = "https://github.com/acme/zeta.git", rev = "main", path = "pkg" }, "peer"]
`;
    const text = serializeIndexFile(file);
    assert.equal(text, expected);
    assert.equal(serializeIndexFile(parseIndexFile(text, 'acme/foo')), expected);
  });

  it('normalises what a parse through the Rust types normalises', () => {
    const file = parseIndexFile(
      `["1.0.0 luau"]
published_at = "2024-11-02T15:45:56.151385320+02:00"
authors = []
yanked = false
unknown_field = "ignored"

["1.0.0 luau".target]
environment = "luau"
build_files = ["ignored for luau"]

["1.0.0 luau".engines]
Pesde = ">=0.7,<0.8"

["1.0.0 luau".dependencies]
foo = [{ name = "acme/foo", version = "1.2.3", index = "https://github.com/pesde-pkg/index" }, "standard"]
`,
      'acme/foo',
    );
    assert.deepEqual(file, {
      entries: [
        {
          id: { version: '1.0.0', target: 'luau' },
          entry: {
            published_at: '2024-11-02T13:45:56.15138532Z',
            target: { environment: 'luau' },
            engines: { pesde: '>=0.7, <0.8' },
            dependencies: { foo: [{ name: 'acme/foo', version: '^1.2.3', index: 'https://github.com/pesde-pkg/index' }, 'standard'] },
          },
        },
      ],
    });
    assert.equal(parseIndexFile('["1.0.0 luau"]\npublished_at = "2025-01-01T00:00:00.000000000Z"\n[\"1.0.0 luau\".target]\nenvironment = "luau"\n').entries[0]?.entry.published_at, '2025-01-01T00:00:00Z');
  });

  it('says which file and key is wrong', () => {
    const valid = '["1.0.0 luau"]\npublished_at = "2025-01-01T00:00:00Z"\n\n["1.0.0 luau".target]\nenvironment = "luau"\n';
    const cases: Array<[string, RegExp | string]> = [
      ['[a\n', /^invalid index file acme\/foo: not valid TOML \(line 1, column \d+: /],
      ['["1.0 luau"]\n', /^invalid index file acme\/foo: "1\.0 luau": invalid version "1\.0"/],
      [valid.replace('environment = "luau"', 'environment = "web"'), /"1\.0\.0 luau"\.target\.environment: invalid target kind "web"/],
      [valid.replace('environment = "luau"', 'environment = "lune"'), /"1\.0\.0 luau"\.target\.environment: "lune" does not match the entry's version id/],
      [valid.replace('published_at = "2025-01-01T00:00:00Z"\n', ''), /"1\.0\.0 luau"\.published_at: expected a string, found nothing \(the key is missing\)/],
      [valid.replace('2025-01-01T00:00:00Z', 'yesterday'), /"1\.0\.0 luau"\.published_at: expected an RFC 3339 timestamp/],
      [`${valid}\n["1.0.0 luau".dependencies]\nself = [{ name = "acme/a", version = "1", index = "x" }, "standard"]\n`, /"1\.0\.0 luau"\.dependencies\.self: invalid dependency alias "self"/],
      [`${valid}\n["1.0.0 luau".dependencies]\na = [{ name = "acme/a", version = "1", index = "x" }, "optional"]\n`, /"1\.0\.0 luau"\.dependencies\.a\[1\]: expected one of standard, peer, dev, found "optional"/],
      [`${valid}\n["1.0.0 luau".dependencies]\na = [{ workspace = "acme/a", version = "^" }, "standard"]\n`, /"1\.0\.0 luau"\.dependencies\.a\[0\]: expected a pesde .*workspace and path dependencies cannot be published/],
      [`${valid}\n["1.0.0 luau".dependencies]\na = [{ name = "acme/a", version = "1 || 2", index = "x" }, "standard"]\n`, /"1\.0\.0 luau"\.dependencies\.a\[0\]\.version: invalid version requirement "1 \|\| 2"/],
      [`${valid}\n[["1.0.0 luau".docs]]\nlabel = "x"\nname = "intro"\n`, /"1\.0\.0 luau"\.docs\[0\]\.hash: expected a string/],
      [`${valid}\n[["1.0.0 luau".docs]]\nlabel = "x"\nposition = -1\n`, /"1\.0\.0 luau"\.docs\[0\]\.position: expected a non-negative integer, found the number -1/],
      ['[meta]\ndeprecated = 5\n', /^invalid index file acme\/foo: meta\.deprecated: expected a string, found the number 5$/],
    ];
    for (const [text, message] of cases) assertInvalid(() => parseIndexFile(text, 'acme/foo'), message);
    assertInvalid(() => parseIndexFile('[x]\n'), /^invalid index file: x: invalid version id "x"/);
  });

  it('inserts entries in index order and refuses a version id twice', () => {
    let file: IndexFile = { entries: [] };
    for (const id of ['1.0.0 luau', '0.1.0 luau', '1.0.0 roblox', '1.0.0-rc.1 lune', '1.0.0 lune']) {
      file = insertEntry(file, parseVersionId(id), entry('2025-01-01T00:00:00Z'));
    }
    assert.deepEqual(file.entries.map((e) => formatVersionId(e.id)), ['0.1.0 luau', '1.0.0-rc.1 lune', '1.0.0 roblox', '1.0.0 lune', '1.0.0 luau']);
    assert.ok(findEntry(file, parseVersionId('1.0.0 lune')));
    assert.equal(findEntry(file, parseVersionId('1.0.0 roblox_server')), undefined);
    assert.throws(
      () => insertEntry(file, parseVersionId('1.0.0 lune'), entry('2025-01-02T00:00:00Z')),
      (error: unknown) => error instanceof RegistryError && error.kind === 'conflict' && /1\.0\.0 lune is already in the index/.test(error.message),
    );
    const withBuild = insertEntry(file, parseVersionId('1.0.0+b lune'), entry('2025-01-02T00:00:00Z'));
    assert.equal(withBuild.entries.length, 6);
    assert.deepEqual(sortEntries([...file.entries].reverse()), file.entries);
  });

  it('sorts docs as the official Ord does and drops entries it considers equal', () => {
    const sorted = sortDocs([
      { label: 'b', name: 'b', hash: '1' },
      { label: 'a', position: 3, name: 'a3', hash: '2' },
      { label: 'B', name: 'B', hash: '3' },
      { label: 'z', position: 0, name: 'z0', hash: '4' },
      { label: 'b', name: 'b-again', hash: '5' },
    ]);
    assert.deepEqual(sorted.map((d) => ('name' in d ? d.name : d.label)), ['z0', 'a3', 'B', 'b']);
  });
});

describe('scope files', () => {
  it('writes owners sorted and deduplicated', () => {
    assert.equal(serializeScopeInfo({ owners: [74418041, 47296785, 72147841, 47296785] }), 'owners = [47296785, 72147841, 74418041]\n');
    assert.equal(serializeScopeInfo({ owners: [0] }), 'owners = [0]\n');
    assert.deepEqual(parseScopeInfo('owners = [53703001,161453450]'), { owners: [53703001, 161453450] });
  });

  it('says what is wrong', () => {
    assertInvalid(() => parseScopeInfo('owners = "me"', 'acme/scope.toml'), /^invalid scope file acme\/scope\.toml: expected `owners = \[<user id>, \.\.\.\]`/);
    assertInvalid(() => parseScopeInfo('owners = [-1]'), /owners must be non-negative integer user ids/);
    assertInvalid(() => parseScopeInfo('owners = [', 'x/scope.toml'), /^invalid scope file x\/scope\.toml: not valid TOML/);
  });
});

describe('the real index', () => {
  it('round-trips every file at the tip', async () => {
    const repo = await cloneFixtureIndex();
    const paths = (await git(repo, ['ls-tree', '-r', '--name-only', 'HEAD'])).split('\n').filter((p) => p.includes('/'));
    const texts = await readObjects(repo, paths.map((p) => `HEAD:${p}`));

    // The last commit (date, subject) that touched each file, from one pass over the log.
    const lastWrite = new Map<string, { date: string; subject: string }>();
    const log = await git(repo, ['log', '--format=%x00%cs %s', '--name-only']);
    for (const block of log.split('\0').slice(1)) {
      const [header, ...files] = block.split('\n');
      const [date, ...subject] = (header as string).split(' ');
      for (const file of files.filter(Boolean)) {
        if (!lastWrite.has(file)) lastWrite.set(file, { date: date as string, subject: subject.join(' ') });
      }
    }

    let identical = 0;
    const olderWriter: string[] = [];
    const handEdited: string[] = [];
    const failures: string[] = [];
    paths.forEach((file, i) => {
      const text = (texts[i] as Buffer).toString('utf8');
      const isScope = file.endsWith('/scope.toml');
      let ours: string;
      try {
        ours = isScope ? serializeScopeInfo(parseScopeInfo(text, file)) : serializeIndexFile(parseIndexFile(text, file));
      } catch (error) {
        failures.push(`${file}: ${(error as Error).message}`);
        return;
      }
      const last = lastWrite.get(file);
      if (ours === text) identical++;
      else if (!isScope && ours === asCurrentWriterWouldRewrite(text) && last !== undefined && last.date <= OLDER_WRITER_LAST_SEEN) {
        olderWriter.push(file);
      } else if (isScope && last !== undefined && !REGISTRY_COMMIT.test(last.subject)) {
        assert.deepEqual(new Set(parseScopeInfo(ours).owners), new Set(parseScopeInfo(text).owners));
        handEdited.push(file);
      } else {
        failures.push(`${file}: serialising the parsed file changes its bytes`);
      }
    });
    console.log(
      `round-trip: ${identical}/${paths.length} byte-identical; ${olderWriter.length} last written by the registry before ${OLDER_WRITER_LAST_SEEN} ` +
        `(identical after its documented normalisation), ${handEdited.length} scope files edited by hand: ${handEdited.join(', ')}`,
    );
    assert.deepEqual(failures, []);
    assert.ok(paths.length >= 779, `expected the 779 package and scope files, found ${paths.length}`);
    assert.ok(identical >= paths.length - 20, `only ${identical} files round-trip byte for byte`);
  });

  it('replays every `add` commit byte for byte', async () => {
    const repo = await cloneFixtureIndex();
    const commits: Array<{ commit: string; parent: string; date: string; path: string; scope: string; id: string; subject: string }> = [];
    for (const line of (await git(repo, ['log', '--format=%H %P%x09%cs%x09%s'])).split('\n')) {
      const [hashes, date = '', subject = ''] = line.split('\t');
      const m = /^add (([^/@ ]+)\/[^@ ]+)@(\S+) (\S+)$/.exec(subject);
      const [commit, parent] = (hashes as string).split(' ');
      if (m === null || commit === undefined || parent === undefined) continue;
      commits.push({ commit, parent, date, path: m[1] as string, scope: m[2] as string, id: `${m[3]} ${m[4]}`, subject });
    }
    const blobs = await readObjects(
      repo,
      commits.flatMap((c) => [`${c.parent}:${c.path}`, `${c.commit}:${c.path}`, `${c.parent}:${c.scope}/scope.toml`, `${c.commit}:${c.scope}/scope.toml`]),
    );

    let replayable = 0;
    let identical = 0;
    let olderWriter = 0;
    let republished = 0;
    let unparsable = 0;
    let newScopes = 0;
    const failures: string[] = [];
    commits.forEach((c, i) => {
      const [before, after, scopeBefore, scopeAfter] = blobs.slice(4 * i, 4 * i + 4).map((b) => b?.toString('utf8') ?? null);
      if (after == null) return void failures.push(`${c.subject}: the commit has no ${c.path}`);
      const id = parseVersionId(c.id);

      let file: IndexFile;
      try {
        file = before == null ? { entries: [] } : parseIndexFile(before, c.path);
      } catch {
        unparsable++;
        return;
      }
      // The first registry (October 2024) replaced an existing version in place; ours answers 409.
      if (findEntry(file, id) !== undefined) {
        republished++;
        return;
      }
      const added = findEntry(parseIndexFile(after, c.path), id);
      if (added === undefined) return void failures.push(`${c.subject}: the entry is missing after the commit`);
      const ours = serializeIndexFile(insertEntry(file, id, added));

      const upgraded = asCurrentWriterWouldRewrite(after);
      if (upgraded !== after) {
        olderWriter++;
        if (c.date > OLDER_WRITER_LAST_SEEN) failures.push(`${c.subject}: looks written by an older registry but dates from ${c.date}`);
        if (ours !== upgraded) failures.push(`${c.subject} (${c.commit.slice(0, 8)}): differs even after the older writer's normalisation`);
      } else {
        replayable++;
        if (ours === after) identical++;
        else failures.push(`${c.subject} (${c.commit.slice(0, 8)}): not byte-identical`);
      }

      if (scopeBefore == null && scopeAfter != null) {
        newScopes++;
        if (serializeScopeInfo(parseScopeInfo(scopeAfter)) !== scopeAfter) failures.push(`${c.subject}: new scope.toml differs`);
      }
    });
    console.log(
      `replay: ${identical}/${replayable} byte-identical (of ${commits.length} add commits: ` +
        `${olderWriter} written by the registry before ${OLDER_WRITER_LAST_SEEN}, identical after its documented normalisation; ` +
        `${republished} re-publishing an existing version; ${unparsable} with an unparsable parent file); ` +
        `${newScopes} new scope.toml files byte-identical`,
    );
    assert.deepEqual(failures.slice(0, 20), []);
    assert.equal(identical, replayable);
    assert.ok(replayable > 2900, `only ${replayable} commits could be replayed`);
  });

  it('replays every yank, unyank, deprecate and undeprecate commit byte for byte', async () => {
    const repo = await cloneFixtureIndex();
    const commits: Array<{ commit: string; parent: string; path: string; subject: string }> = [];
    for (const line of (await git(repo, ['log', '--format=%H %P%x09%s'])).split('\n')) {
      const [hashes, subject = ''] = line.split('\t');
      const m = /^(?:un)?(?:yank|deprecate) ([^/@ ]+\/[^@ ]+)/.exec(subject);
      const [commit, parent] = (hashes as string).split(' ');
      if (m === null || commit === undefined || parent === undefined) continue;
      commits.push({ commit, parent, path: m[1] as string, subject });
    }
    const blobs = await readObjects(repo, commits.flatMap((c) => [`${c.parent}:${c.path}`, `${c.commit}:${c.path}`]));

    let identical = 0;
    let olderWriter = 0;
    const failures: string[] = [];
    commits.forEach((c, i) => {
      const [before, after] = [blobs[2 * i], blobs[2 * i + 1]].map((b) => b?.toString('utf8'));
      if (before === undefined || after === undefined) return void failures.push(`${c.subject}: file missing`);
      const file = parseIndexFile(before, c.path);
      const target = parseIndexFile(after, c.path);
      // Apply what the commit changed: the yanked flags and the deprecation reason.
      const changed: IndexFile = {
        entries: file.entries.map(({ id, entry: { yanked: _, ...rest } }) => {
          const yanked = findEntry(target, id)?.yanked === true;
          return { id, entry: yanked ? { ...rest, yanked } : rest };
        }),
      };
      if (target.deprecated !== undefined) changed.deprecated = target.deprecated;
      const ours = serializeIndexFile(changed);
      const upgraded = asCurrentWriterWouldRewrite(after);
      if (ours === after) identical++;
      else if (upgraded !== after && ours === upgraded) olderWriter++;
      else failures.push(`${c.subject} (${c.commit.slice(0, 8)}): not byte-identical`);
    });
    console.log(`replay: ${identical}/${commits.length} yank/deprecate commits byte-identical, ${olderWriter} by the registry before ${OLDER_WRITER_LAST_SEEN}`);
    assert.deepEqual(failures, []);
    assert.ok(commits.length > 150, `found only ${commits.length} yank/deprecate commits`);
  });
});
