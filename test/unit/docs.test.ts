import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { RegistryError } from '../../src/errors.js';
import { buildDocs, titleCase } from '../../src/package/docs.js';

const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

const docs = (files: Record<string, string | Buffer>) =>
  buildDocs(new Map(Object.entries(files).map(([name, content]) => [name, Buffer.from(content)])));

async function refusal(files: Record<string, string | Buffer>): Promise<string> {
  try {
    await docs(files);
  } catch (error) {
    assert.ok(error instanceof RegistryError, String(error));
    assert.equal(error.kind, 'invalid_package');
    assert.ok(!error.message.includes('\n'));
    return error.message;
  }
  assert.fail('expected the docs to be refused');
}

describe('titleCase (convert_case 0.8 Case::Title)', () => {
  const cases: Array<[string, string]> = [
    ['getting-started', 'Getting Started'],
    ['api_reference', 'Api Reference'],
    ['intro', 'Intro'],
    ['FAQ', 'Faq'],
    ['camelCase', 'Camel Case'],
    ['XMLHttpRequest', 'Xml Http Request'],
    ['v2-intro', 'V 2 Intro'],
    ['01-setup', '01 Setup'],
    ['Already Title', 'Already Title'],
    ['__weird--name  ', 'Weird Name'],
    ['über_straße', 'Über Straße'],
    ['v1.2', 'V 1.2'],
    ['', ''],
  ];
  for (const [input, expected] of cases) {
    it(`${JSON.stringify(input)} -> ${JSON.stringify(expected)}`, () => assert.equal(titleCase(input), expected));
  }
});

describe('buildDocs: pages', () => {
  it('trims the page, hashes the trimmed text and stores it gzipped', async () => {
    const { docs: entries, pages } = await docs({ 'intro.md': '\n\u00a0 # Welcome\n\nHello\n\n' });
    const trimmed = '# Welcome\n\nHello';
    assert.deepEqual(entries, [{ label: 'Welcome', name: 'intro', hash: sha256(trimmed) }]);
    assert.deepEqual([...pages.keys()], [sha256(trimmed)]);
    assert.equal(gunzipSync(pages.get(sha256(trimmed)) as Buffer).toString(), trimmed);
  });

  it('takes label and position from front matter (sidebar_position or position)', async () => {
    const { docs: entries } = await docs({
      'a.md': '---\nlabel: Custom A\nsidebar_position: 2\n---\n\nbody',
      'b.md': '---\nposition: 1\nunknown: ignored\n---\n\n# Heading B',
      'c.md': '---\nlabel: 1.50\n---\n',
    });
    assert.deepEqual(
      entries.map((e) => [e.label, e.position]),
      [['Heading B', 1], ['Custom A', 2], ['1.50', undefined]],
    );
  });

  it('skips the line right after the closing --- when looking for the heading, as the official code does', async () => {
    const { docs: entries } = await docs({
      'right-after.md': '---\nsidebar_position: 1\n---\n# Not Seen\n',
      'blank-between.md': '---\nsidebar_position: 2\n---\n\n# Seen\n',
      'crlf.md': '---\r\nsidebar_position: 3\r\n---\r\n\r\n# Windows\r\n',
    });
    assert.deepEqual(entries.map((e) => e.label), ['Right After', 'Seen', 'Windows']);
  });

  it('uses only a heading on the first non-blank line, and the file name in Title Case otherwise', async () => {
    const { docs: entries } = await docs({
      'getting-started.md': 'Some text first\n# Late Heading',
      'api_reference.md': '#NoSpace',
      'indented.md': '  # trimmed away with the page',
      'nested/  .md': 'x',
    });
    assert.deepEqual(
      entries.map((e) => e.label),
      ['Api Reference', 'Getting Started', 'Nested', 'trimmed away with the page'],
    );
  });

  it('keeps a BOM in the hashed text, so the front matter is not recognised', async () => {
    const text = '\uFEFF---\nlabel: X\n---\nbody';
    const { docs: entries } = await docs({ 'bom.md': text });
    assert.deepEqual(entries, [{ label: 'Bom', name: 'bom', hash: sha256(text) }]);
  });

  it('ignores files that are not .md pages', async () => {
    const { docs: entries, pages } = await docs({ 'logo.png': 'png', 'UPPER.MD': '# x', 'notes.txt': 'x' });
    assert.deepEqual(entries, []);
    assert.equal(pages.size, 0);
  });

  it('names a page by its path under docs/ without .md', async () => {
    const { docs: entries } = await docs({ 'guide/v1.0/setup.md': '# Setup', '.md': 'dotfile' });
    assert.deepEqual(entries, [
      { label: '', name: '.md', hash: sha256('dotfile') },
      {
        label: 'Guide',
        items: [{ label: 'V 1.0', items: [{ label: 'Setup', name: 'guide/v1.0/setup', hash: sha256('# Setup') }] }],
      },
    ]);
  });
});

describe('buildDocs: categories and ordering', () => {
  it('turns folders into categories, labelled by _category_.json or the folder name', async () => {
    const { docs: entries } = await docs({
      'intro.md': '# Intro',
      'getting-started/install.md': '# Install',
      'getting-started/_category_.json': JSON.stringify({ label: 'Start Here', position: 1, collapsed: true }),
      'api_reference/_category_.json': JSON.stringify({ sidebar_position: 3, extra: 'ignored' }),
      'api_reference/types.md': '---\nsidebar_position: 2\n---\n',
      'api_reference/functions.md': '---\nsidebar_position: 1\n---\n',
      'images/': '',
      'assets/logo.png': '',
    });
    assert.deepEqual(entries, [
      {
        label: 'Start Here',
        position: 1,
        items: [{ label: 'Install', name: 'getting-started/install', hash: sha256('# Install') }],
        collapsed: true,
      },
      {
        label: 'Api Reference',
        position: 3,
        items: [
          { label: 'Functions', position: 1, name: 'api_reference/functions', hash: sha256('---\nsidebar_position: 1\n---') },
          { label: 'Types', position: 2, name: 'api_reference/types', hash: sha256('---\nsidebar_position: 2\n---') },
        ],
      },
      { label: 'Assets', items: [] },
      { label: 'Images', items: [] },
      { label: 'Intro', name: 'intro', hash: sha256('# Intro') },
    ]);
  });

  it('orders by position (present first, ascending), then label in byte order', async () => {
    const { docs: entries } = await docs({
      'z.md': '---\nposition: 0\n---\n\n# zeta',
      'y.md': '---\nposition: 10\n---\n\n# Y',
      'x.md': '---\nposition: 2\n---\n\n# X',
      'b.md': '# banana',
      'c.md': '# Cherry',
      'e.md': '# Éclair',
    });
    assert.deepEqual(entries.map((e) => e.label), ['zeta', 'X', 'Y', 'Cherry', 'banana', 'Éclair']);
  });

  it('keeps only the first of two entries with the same position and label (BTreeSet), first by file name', async () => {
    const { docs: entries, pages } = await docs({
      'b.md': '# Same\nsecond',
      'a.md': '# Same\nfirst',
      'c.md': '---\nposition: 1\n---\n\n# Same',
      // a folder whose Title Case label is also "Same", walked after a.md and b.md
      'same/x.md': '# x',
    });
    assert.deepEqual(
      entries.map((e) => ('name' in e ? e.name : `category ${e.label}`)),
      ['c', 'a'],
    );
    assert.equal(pages.size, 4, 'every page is still stored');
  });

  it('validates a _category_.json at the root of docs/ and otherwise ignores it', async () => {
    const { docs: entries } = await docs({ '_category_.json': '{"label": "Root"}', 'a.md': '# A' });
    assert.deepEqual(entries.map((e) => e.label), ['A']);
    assert.match(await refusal({ '_category_.json': '{' }), /^docs\/_category_\.json is not valid JSON/);
  });

  it('keeps a folder label when _category_.json has none, and reads null as absent', async () => {
    const { docs: entries } = await docs({ 'my-guide/_category_.json': '{"label": null, "position": null, "collapsed": false}' });
    assert.deepEqual(entries, [{ label: 'My Guide', items: [] }]);
  });
});

describe('buildDocs: refusals', () => {
  const cases: Array<[string, Record<string, string | Buffer>, RegExp]> = [
    ['invalid YAML', { 'a.md': '---\nlabel: [unclosed\n---\n' }, /^docs\/a\.md: front matter is not valid YAML \(.*\): fix it or remove it$/],
    ['duplicate YAML keys', { 'a.md': '---\nlabel: A\nlabel: B\n---\n' }, /docs\/a\.md: front matter is not valid YAML/],
    ['front matter that is not a mapping', { 'a.md': '---\njust text\n---\n' }, /docs\/a\.md: front matter must be a mapping/],
    ['both position keys', { 'a.md': '---\nposition: 1\nsidebar_position: 2\n---\n' }, /gives both sidebar_position and position: keep one/],
    ['a negative position', { 'a.md': '---\nposition: -1\n---\n' }, /position must be a whole number of at least 0, found -1/],
    ['a fractional position', { 'a.md': '---\nsidebar_position: 1.5\n---\n' }, /position must be a whole number/],
    ['a quoted position', { 'a.md': '---\nsidebar_position: "1"\n---\n' }, /position must be a whole number/],
    ['a label that is a list', { 'a.md': '---\nlabel: [a]\n---\n' }, /docs\/a\.md: front matter: label must be text/],
    ['collapsed that is not a boolean', { 'a.md': '---\ncollapsed: yes\n---\n' }, /collapsed must be true or false/],
    ['a page that is not UTF-8', { 'a.md': Buffer.from([0x23, 0x20, 0xff, 0xfe]) }, /^docs\/a\.md is not valid UTF-8: save it as UTF-8$/],
    ['invalid _category_.json', { 'g/_category_.json': '{label: x}' }, /^docs\/g\/_category_\.json is not valid JSON/],
    ['a _category_.json that is an array', { 'g/_category_.json': '[]' }, /docs\/g\/_category_\.json must be a JSON object/],
    ['a _category_.json label that is a number', { 'g/_category_.json': '{"label": 3}' }, /docs\/g\/_category_\.json: label must be text/],
    ['a _category_.json with a string position', { 'g/_category_.json': '{"position": "2"}' }, /position must be a whole number/],
    ['a _category_.json with collapsed null', { 'g/_category_.json': '{"collapsed": null}' }, /collapsed must be true or false/],
  ];
  for (const [name, files, pattern] of cases) {
    it(`refuses ${name}`, async () => assert.match(await refusal(files), pattern));
  }
});

describe('buildDocs: bounded work on hostile pages', () => {
  it('trims a long run of white space before the last word in linear time, as Rust trims', async () => {
    const text = `# Title${' '.repeat(200_000)}end\u00a0 \n`;
    const started = performance.now();
    const built = await docs({ 'page.md': text });
    assert.ok(performance.now() - started < 2000, 'a quadratic trim takes minutes here');
    const [hash, gz] = [...built.pages][0]!;
    assert.equal(gunzipSync(gz).toString('utf8'), `# Title${' '.repeat(200_000)}end`);
    assert.equal(hash, sha256(`# Title${' '.repeat(200_000)}end`));
    // U+FEFF is not white space to Rust
    const bom = await docs({ 'b.md': '\ufeff# B \t' });
    assert.equal(gunzipSync([...bom.pages.values()][0]!).toString('utf8'), '\ufeff# B');
  });

  it('refuses front matter longer than 64 Ki characters', async () => {
    await assert.rejects(docs({ 'a.md': `---\nlabel: x\n# ${'y'.repeat(70_000)}\n---\n# A\n` }), (error: unknown) => {
      assert.ok(error instanceof RegistryError);
      assert.match(error.message, /^docs\/a\.md: front matter is \d+ characters, more than the limit of 65536/);
      return true;
    });
  });

  it('orders and deduplicates thousands of pages in one folder quickly, in UTF-8 byte order', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 3000; i++) files[`p${i}.md`] = `# Page ${i % 1500}\n`;
    files['x.md'] = '# \u{1F600} emoji';
    files['y.md'] = '# \uFF5E fullwidth';
    const started = performance.now();
    const built = await docs(files);
    assert.ok(performance.now() - started < 5000);
    // equal labels (same position, none here) keep the first in name order
    assert.equal(built.docs.length, 1502);
    const labels = built.docs.map((d) => d.label);
    // U+FF5E sorts before U+1F600 in UTF-8, unlike in UTF-16 code units
    assert.deepEqual(labels.slice(-2), ['\uFF5E fullwidth', '\u{1F600} emoji']);
  });
});
