/**
 * The web pages in a real Chromium (test/helpers/browser.ts), against a real server on
 * 127.0.0.1 with packages published over HTTP: every page type at desktop and phone width
 * (screenshots kept under test-artifacts/web-pages/), light and dark, with axe-core run in
 * the page (no serious or critical violation allowed), highlighted Luau, an alert, heading
 * anchors, the copy button with scripts on, the page complete with scripts off, the CSP.
 */
import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchTestBrowser } from '../helpers/browser.js';
import { startTestServer, type TestServer } from '../helpers/http.js';
import { buildPackage, type PackageSpec } from '../helpers/package-fixture.js';

const ARTIFACTS = path.resolve('test-artifacts', 'web-pages');
const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 390, height: 844 };

const README = [
  '# Showcase :tada:',
  '',
  'A package that shows everything.',
  '',
  '> [!WARNING]',
  '> Handle with care.',
  '',
  '## Usage',
  '',
  '```luau',
  'local showcase = require("@pkg/showcase")',
  'local count: number = showcase.count(`items {1 + 1}`)',
  '```',
  '',
  '```toml',
  '[dependencies]',
  'showcase = { name = "acme/showcase", version = "^1.0.0" }',
  '```',
  '',
  '## API',
  '',
  '| name | what |',
  '| --- | --- |',
  '| `count` | counts |',
  '',
].join('\n');

interface PageGlobals {
  document: {
    querySelector(s: string): { textContent: string | null; getAttribute(n: string): string | null; hidden?: boolean } | null;
    querySelectorAll(s: string): ArrayLike<unknown>;
  };
  axe: { run(context: unknown, options: unknown): Promise<{ violations: Array<{ id: string; impact: string | null; help: string; nodes: Array<{ target: string[] }> }> }> };
  navigator: { clipboard: { readText(): Promise<string> } };
}

describe('web pages in a real browser', () => {
  let server: TestServer;
  let browser: Browser | undefined;
  let axeSource: string;
  const publish = async (spec: PackageSpec) => {
    const res = await server.get('/v1/packages', { method: 'POST', body: await buildPackage(spec), headers: { 'content-type': 'application/octet-stream' } });
    assert.equal(res.status, 200, res.text);
  };

  before(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    axeSource = await readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
    server = await startTestServer({ flags: { publishRateLimit: 'off' } });
    const bare = path.join(path.dirname(server.index.dir), 'index.git');
    await publish({ name: 'acme/base', version: '1.0.0', description: 'The base layer' });
    const showcase = (version: string): PackageSpec => ({
      name: 'acme/showcase',
      version,
      target: 'lune',
      description: 'Shows every part of a package page',
      manifest: [
        'name = "acme/showcase"',
        `version = "${version}"`,
        'description = "Shows every part of a package page"',
        'license = "MIT"',
        'authors = ["Ada Lovelace <ada@example.com> (https://example.com/ada)", "Plain Name"]',
        'repository = "https://github.com/acme/showcase"',
        '',
        '[target]',
        'environment = "lune"',
        'lib = "src/init.luau"',
        'bin = "src/init.luau"',
        '',
        '[target.scripts]',
        'roblox_sync_config_generator = "src/init.luau"',
        '',
        '[indices]',
        `default = "file://${bare}"`,
        '',
        '[dependencies]',
        `base = { name = "acme/base", version = "^1.0.0", index = "file://${bare}" }`,
        '',
        '[dev_dependencies]',
        'other = { name = "elsewhere/thing", version = "^3.0.0", index = "https://github.com/pesde-pkg/index" }',
        '',
      ].join('\n'),
      files: {
        'README.md': README,
        'docs/intro.md': '---\nlabel: Getting started\n---\n# Intro\n\nWelcome.\n\n## Install it\n\nRun the line.\n\n## Use it\n\n```luau\nprint("hi")\n```\n',
        'docs/guide/advanced.md': '# Advanced\n\nDeep stuff.\n',
      },
    });
    await publish(showcase('1.0.0'));
    await publish(showcase('1.1.0-beta.1'));
    await publish(showcase('0.9.0'));
    const yank = await server.get(`/v1/packages/${encodeURIComponent('acme/showcase')}/0.9.0/lune/yank`, { method: 'PUT' });
    assert.equal(yank.status, 200, yank.text);
  });
  after(async () => {
    await browser?.close();
    await server?.dispose();
  });

  const pages = [
    ['list', '/'],
    ['search', '/?q=showcase'],
    ['package', '/packages/acme/showcase?version=1.0.0&target=lune'],
    ['dependencies', '/packages/acme/showcase/dependencies?version=1.0.0&target=lune'],
    ['versions', '/packages/acme/showcase/versions?version=1.0.0&target=lune'],
    ['docs', '/packages/acme/showcase/docs/intro?version=1.0.0&target=lune'],
    ['not-found', '/packages/acme/showcas'],
  ] as const;

  async function audit(tab: Page): Promise<string[]> {
    await tab.addScriptTag({ content: axeSource }).catch(async () => {
      // the page's CSP forbids added scripts: evaluate the source instead (runs as the test, not the page)
      await tab.evaluate(axeSource);
    });
    const result = await tab.evaluate(() => {
      const page = globalThis as unknown as PageGlobals;
      return page.axe.run(page.document, { resultTypes: ['violations'] });
    });
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  }

  it('shows every page type at desktop and phone width, light and dark, with no serious axe violation', { timeout: 300_000 }, async (t) => {
    browser = (await launchTestBrowser(t))?.browser;
    if (browser === undefined) return;
    const problems: string[] = [];
    for (const scheme of ['light', 'dark'] as const) {
      for (const [label, viewport] of [['desktop', DESKTOP], ['phone', PHONE]] as const) {
        const context = await browser.newContext({ viewport, colorScheme: scheme, bypassCSP: false });
        try {
          for (const [kind, url] of pages) {
            const tab = await context.newPage();
            const response = await tab.goto(`${server.url}${url}`, { waitUntil: 'load' });
            assert.equal(response?.status(), kind === 'not-found' ? 404 : 200, url);
            const file = path.join(ARTIFACTS, `${kind}-${label}-${scheme}.png`);
            await tab.screenshot({ path: file, fullPage: true });
            // nothing wider than the phone's screen
            const overflow = await tab.evaluate(() => {
              const doc = (globalThis as unknown as { document: { documentElement: { scrollWidth: number; clientWidth: number } } }).document;
              return doc.documentElement.scrollWidth - doc.documentElement.clientWidth;
            });
            if (overflow > 1) problems.push(`${kind} ${label} ${scheme}: ${overflow}px wider than the viewport`);
            for (const v of await audit(tab)) problems.push(`${kind} ${label} ${scheme}: ${v}`);
            await tab.close();
          }
        } finally {
          await context.close();
        }
      }
    }
    t.diagnostic(`screenshots in ${ARTIFACTS}`);
    assert.deepEqual(problems, []);
  });

  it('highlights Luau, renders the alert and heading anchors, and copies the install line', { timeout: 120_000 }, async (t) => {
    browser ??= (await launchTestBrowser(t))?.browser;
    if (browser === undefined) return;
    const context = await browser.newContext({ viewport: DESKTOP });
    try {
      await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
      const tab = await context.newPage();
      const response = await tab.goto(`${server.url}/packages/acme/showcase?version=1.0.0&target=lune`, { waitUntil: 'load' });
      const csp = response?.headers()['content-security-policy'] ?? '';
      assert.match(csp, /script-src 'sha256-[^']+'/);
      assert.doesNotMatch(csp, /unsafe-inline/);

      const seen = await tab.evaluate(() => {
        const doc = (globalThis as unknown as PageGlobals).document;
        const keyword = doc.querySelector('#readme pre.hl code.language-luau span');
        return {
          keyword: keyword?.textContent ?? null,
          colour: keyword ? getComputedStyleColour(keyword) : null,
          spans: doc.querySelectorAll('#readme pre.hl code.language-luau span').length,
          alert: doc.querySelector('#readme .markdown-alert-warning .markdown-alert-title')?.textContent ?? null,
          anchor: doc.querySelector('#readme h2#usage a.anchor')?.getAttribute('href') ?? null,
          emoji: doc.querySelector('#readme h1')?.textContent ?? null,
          copyHidden: doc.querySelector('button[data-copy="install-add"]')?.hidden ?? null,
          time: doc.querySelector('.pkg-meta time')?.textContent ?? null,
        };
        function getComputedStyleColour(el: unknown): string {
          return (globalThis as unknown as { getComputedStyle(e: unknown): { color: string } }).getComputedStyle(el).color;
        }
      });
      assert.equal(seen.keyword, 'local');
      assert.ok(seen.spans > 5, `${seen.spans} coloured tokens`);
      assert.notEqual(seen.colour, 'rgb(31, 35, 40)', 'the keyword has a colour of its own');
      assert.match(seen.alert ?? '', /Warning/);
      assert.equal(seen.anchor, '#usage');
      assert.match(seen.emoji ?? '', /🎉/);
      assert.equal(seen.copyHidden, false, 'the script showed the copy button');
      assert.match(seen.time ?? '', /ago|now|second|minute/, 'the script wrote a relative time');

      await tab.getByRole('button', { name: 'Copy' }).nth(1).click();
      const copied = await tab.evaluate(() => (globalThis as unknown as PageGlobals).navigator.clipboard.readText());
      assert.equal(copied, 'pesde add acme/showcase@1.0.0 --target lune');
      await tab.waitForFunction(() => (globalThis as unknown as PageGlobals).document.querySelector('button[data-copy="install-add"]')?.textContent === 'Copied');

      // the anchor works: following it scrolls to the heading and puts it in the URL
      await tab.click('#readme h2#usage a.anchor');
      assert.match(tab.url(), /#usage$/);
    } finally {
      await context.close();
    }
  });

  it('is complete with scripts off: content, pickers that work by their button, no copy button shown', { timeout: 120_000 }, async (t) => {
    browser ??= (await launchTestBrowser(t))?.browser;
    if (browser === undefined) return;
    const context = await browser.newContext({ viewport: PHONE, javaScriptEnabled: false });
    try {
      const tab = await context.newPage();
      await tab.goto(`${server.url}/packages/acme/showcase?version=1.0.0&target=lune`, { waitUntil: 'load' });
      await tab.screenshot({ path: path.join(ARTIFACTS, 'package-phone-noscript.png'), fullPage: true });
      assert.equal(await tab.locator('#readme h2#usage').textContent(), 'Usage');
      assert.equal(await tab.locator('button[data-copy]').first().isVisible(), false);
      assert.match((await tab.locator('#install-add').textContent()) ?? '', /pesde add acme\/showcase@1\.0\.0/);
      assert.match((await tab.locator('.pkg-meta time').textContent()) ?? '', /^\d{4}-\d\d-\d\d$/);
      // the version picker without script: choose, press the button
      await tab.selectOption('#pick-version', '1.1.0-beta.1');
      await Promise.all([tab.waitForURL(/version=1\.1\.0-beta\.1/), tab.locator('#pick-version ~ button').click()]);
      assert.match((await tab.locator('.pkg-meta').textContent()) ?? '', /1\.1\.0-beta\.1\s+pre-release/);
      await tab.goto(`${server.url}/packages/acme/showcase/versions`, { waitUntil: 'load' });
      assert.equal(await tab.locator('tr.yanked').count(), 1);
      assert.equal(await tab.locator('tr.yanked .badge.bad').textContent(), 'yanked');
    } finally {
      await context.close();
    }
  });
});
