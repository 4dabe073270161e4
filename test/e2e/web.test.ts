/**
 * The pages for people (`serve` answering browsers): over real HTTP against the real public
 * index (list, search, paging, package pages, 404s, the API left as it was), against the
 * embedded index with packages published through POST /v1/packages (README and doc pages
 * rendered and sanitised), with read auth (the login form and its cookie), and in a real
 * Chromium driven by playwright-core (the hostile README must not run).
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { prefersHtml } from '../../src/server/web/accept.js';
import type { Logger } from '../../src/server/logger.js';
import { launchTestBrowser } from '../helpers/browser.js';
import { cloneFixtureIndex } from '../helpers/fixture-index.js';
import { enc, startTestServer, type HttpAnswer, type TestServer } from '../helpers/http.js';
import { buildPackage, type PackageSpec } from '../helpers/package-fixture.js';

/** What Chromium sends for a navigation. */
const BROWSER = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8' };
/** the page's own style and script by hash, nothing else inline */
const CSP = /^default-src 'none'; style-src 'sha256-[A-Za-z0-9+/]+=*'; script-src 'sha256-[A-Za-z0-9+/]+=*'; img-src https: data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'$/;

interface Row {
  name: string;
  version: string;
  deprecated: boolean;
}

/** The package rows of a list page, in order. */
function rows(page: string): Row[] {
  const list = /<ul class="packages">([\s\S]*?)<\/ul>/.exec(page)?.[1] ?? '';
  return list
    .split('<li>')
    .slice(1)
    .map((item) => ({
      name: /<a class="name" href="[^"]*">([^<]*)<\/a>/.exec(item)?.[1] ?? '',
      version: /<span class="badge">([^<]*)<\/span>/.exec(item)?.[1] ?? '',
      deprecated: item.includes('>deprecated</span>'),
    }));
}

/** The little of the DOM the browser test reads (the test suite compiles without lib.dom). */
interface PageElement {
  tagName: string;
  textContent: string | null;
  getAttribute(name: string): string | null;
  getAttributeNames(): string[];
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): ArrayLike<PageElement> & Iterable<PageElement>;
}
interface BrowserGlobals {
  document: PageElement & { title: string };
  __pwned?: unknown;
}

function assertPage(res: HttpAnswer, status: number): void {
  assert.equal(res.status, status, res.text.slice(0, 500));
  assert.equal(res.headers['content-type'], 'text/html; charset=utf-8');
  assert.match(String(res.headers['content-security-policy']), CSP);
  assert.equal(res.headers['x-content-type-options'], 'nosniff');
  assert.match(res.text, /^<!doctype html>/);
}

/** The `pesde add` line as a reader copies it (markup inside the box does not get copied). */
function addLine(page: string): string | undefined {
  const box = /<pre class="copy"[^>]*>(pesde add [\s\S]*?)<\/pre>/.exec(page)?.[1];
  return box?.replace(/<[^>]*>/g, '');
}

/** The page's own heading. */
function firstHeading(page: string): string | undefined {
  return /<h1>([\s\S]*?)<\/h1>/.exec(page)?.[1];
}

describe('pages over the public index', () => {
  let server: TestServer;
  const page = (p: string, headers: Record<string, string> = {}) => server.get(p, { headers: { ...BROWSER, ...headers } });
  const apiNames = async (query: string, offset: number) =>
    (await server.get(`/v1/search?query=${encodeURIComponent(query)}&offset=${offset}`)).json<{ data: Array<{ name: string }>; count: number }>();

  before(async () => {
    server = await startTestServer({ flags: { index: await cloneFixtureIndex() } });
  });
  after(async () => {
    await server?.dispose();
  });

  it('tells browsers from API clients by what their Accept header prefers', () => {
    assert.equal(prefersHtml(BROWSER.accept), true);
    assert.equal(prefersHtml('text/html'), true);
    assert.equal(prefersHtml(undefined), false);
    assert.equal(prefersHtml('*/*'), false);
    assert.equal(prefersHtml('application/json'), false);
    assert.equal(prefersHtml('application/json, text/html;q=0.5'), false);
    assert.equal(prefersHtml('text/html;q=0, */*'), false);
    assert.equal(prefersHtml('text/*, application/json;q=0.9'), true);
  });

  it('leaves the API as it was for every client that does not prefer HTML', async () => {
    const root = await server.get('/');
    assert.equal(root.status, 200);
    assert.match(String(root.headers['content-type']), /^text\/plain/);
    assert.match(root.text, /^pesde-registry\//);
    for (const accept of [undefined, '*/*', 'application/json']) {
      const headers: Record<string, string> = accept === undefined ? {} : { accept };
      const search = await server.get('/v1/search?query=jecs', { headers });
      assert.equal(search.headers['content-type'], 'application/json');
      assert.equal(search.headers['content-security-policy'], undefined);
      assert.ok(search.json<{ count: number }>().count > 0);
      const notRoute = await server.get('/packages/tazmondo/jecs', { headers });
      assert.equal(notRoute.status, 404);
      assert.match(notRoute.json<{ error: string }>().error, /no route/);
    }
    // the API's own paths stay JSON even for a browser
    const json = await page(`/v1/packages/${enc('tazmondo/jecs')}`);
    assert.equal(json.headers['content-type'], 'application/json');
    assert.equal(json.json<{ name: string }>().name, 'tazmondo/jecs');
    const missing = await page(`/v1/packages/${enc('nobody/nothing')}`);
    assert.equal(missing.status, 404);
    assert.match(missing.json<{ error: string }>().error, /not found/);
  });

  it('lists packages newest first, in the order of /v1/search, with version, description and a link each', async () => {
    const res = await page('/');
    assertPage(res, 200);
    assert.equal(firstHeading(res.text), 'Packages');
    const listed = rows(res.text);
    assert.equal(listed.length, 50);
    const api = await apiNames('', 0);
    // the API's search leaves deprecated packages out; the list shows them, marked
    assert.deepEqual(
      listed.filter((r) => !r.deprecated).map((r) => r.name),
      api.data.map((d) => d.name).slice(0, listed.filter((r) => !r.deprecated).length),
    );
    const first = listed[0]!;
    assert.ok(res.text.includes(`href="/packages/${first.name}"`));
    const meta = (await server.get(`/v1/packages/${enc(first.name)}/latest/any`)).json<{ version: string; description?: string }>();
    assert.equal(first.version, meta.version);
    assert.match(res.text, /packages, newest first/);
  });

  it('searches with ?q= in the same ranking as /v1/search, and marks deprecated packages', async () => {
    const res = await page('/?q=jecs');
    assertPage(res, 200);
    assert.match(res.text, /value="jecs"/, 'the search box keeps the query');
    const api = await apiNames('jecs', 0);
    assert.deepEqual(rows(res.text).filter((r) => !r.deprecated).map((r) => r.name), api.data.map((d) => d.name));

    const deprecated = rows((await page('/?q=client_types')).text).find((r) => r.name === 'dialoguemaker/client_types');
    assert.equal(deprecated?.deprecated, true);
    const none = await page('/?q=zzzznothingmatcheszzzz');
    assertPage(none, 200);
    assert.deepEqual(rows(none.text), []);
    assert.match(none.text, /Nothing matches/);
  });

  it('pages through the list with ?page=, links both ways, and rejects a bad page number', async () => {
    const one = await page('/');
    const two = await page('/?page=2');
    assertPage(two, 200);
    assert.match(one.text, /<a rel="next" href="\/\?page=2">/);
    assert.match(two.text, /<a rel="prev" href="\/">/);
    const first = rows(one.text);
    const second = rows(two.text);
    assert.ok(second.length > 0);
    assert.equal(second.filter((r) => first.some((f) => f.name === r.name)).length, 0, 'no package on both pages');
    const api = [...(await apiNames('', 0)).data, ...(await apiNames('', 50)).data].map((d) => d.name);
    const shown = [...first, ...second].filter((r) => !r.deprecated).map((r) => r.name);
    assert.deepEqual(shown, api.slice(0, shown.length));

    const bad = await page('/?page=zero');
    assertPage(bad, 400);
    assert.match(bad.text, /page must be a whole number/);
  });

  it('shows a package: versions with targets and yanked marks, details, docs, and the lines to install it', async () => {
    const name = '0x5eal/unzip';
    const res = await page(`/packages/${name}`);
    assertPage(res, 200);
    const versions = (await server.get(`/v1/packages/${enc(name)}`)).json<{ versions: Record<string, { targets: Record<string, { yanked?: boolean }> }> }>();
    const latest = (await server.get(`/v1/packages/${enc(name)}/latest/any`)).json<{ version: string; license: string }>();
    assert.equal(firstHeading(res.text), `<span class="muted">${name.split('/')[0]}/</span>${name.split('/')[1]}`);
    assert.match(res.text, new RegExp(`<p class="pkg-meta"><span class="badge">${latest.version.replace(/[.+]/g, '\\$&')}</span>`));
    const list = await page(`/packages/${name}/versions`);
    assertPage(list, 200);
    for (const [version, { targets }] of Object.entries(versions.versions)) {
      for (const target of Object.keys(targets)) {
        assert.ok(list.text.includes(`href="/packages/${name}?version=${encodeURIComponent(version)}&amp;target=${target}"`), `${version} ${target} is linked`);
      }
    }
    assert.ok(Object.values(versions.versions).some((v) => Object.values(v.targets).some((t) => t.yanked)));
    assert.match(list.text, /<span class="badge bad">yanked<\/span>/);
    assert.ok(res.text.includes(`<dt>License</dt><dd>${latest.license}</dd>`));
    assert.equal(addLine(res.text), `pesde add ${name}@${latest.version} --target luau`);
    assert.ok(res.text.includes('[indices]\ndefault = &quot;file://'));
    assert.match(res.text, /href="\/packages\/0x5eal\/unzip\/docs\/intro\?version=/);
    assert.match(res.text, /This version has no README/, 'the fixture index has no storage behind it');
  });

  it('picks a version and target with ?version=&target=, and links every target of that version', async () => {
    const res = await page('/packages/caveful_games/rng?version=0.1.0&target=luau');
    assertPage(res, 200);
    assert.equal(addLine(res.text), 'pesde add caveful_games/rng@0.1.0 --target luau');
    assert.ok(res.text.includes('<option value="luau" selected>'));
    assert.ok(res.text.includes('<option value="roblox">'), 'the target picker offers the other target of that version');
    const build = await page(`/packages/tazmondo/jecs?version=${encodeURIComponent('0.11.0+1')}`);
    assertPage(build, 200);
    assert.equal(addLine(build.text), 'pesde add tazmondo/jecs@0.11.0+1 --target roblox');
  });

  it('shows the deprecation reason on a deprecated package', async () => {
    const reason = (await server.get(`/v1/packages/${enc('dialoguemaker/client_types')}`)).json<{ deprecated: string }>().deprecated;
    const res = await page('/packages/dialoguemaker/client_types');
    assertPage(res, 200);
    assert.ok(res.text.includes('<strong>Deprecated:</strong>'));
    assert.ok(res.text.includes(reason.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;')));
  });

  it('answers unknown packages, versions, doc pages and paths with HTML 404 pages, bad input with 400', async () => {
    for (const p of ['/packages/nobody/nothing', '/packages/NOT%20A/name', '/packages/0x5eal/unzip?version=99.0.0', '/packages/0x5eal/unzip/docs/nope', '/nowhere/at/all']) {
      const res = await page(p);
      assertPage(res, 404);
      assert.equal(firstHeading(res.text), 'Not found', p);
    }
    assert.match((await page('/packages/nobody/nothing')).text, /there is no package named nobody\/nothing in this registry/);
    assertPage(await page('/packages/0x5eal/unzip?version=not-a-version'), 400);
    assertPage(await page('/packages/0x5eal/unzip?target=moon'), 400);
    const wrongMethod = await server.get('/packages/0x5eal/unzip', { method: 'DELETE', headers: BROWSER });
    assertPage(wrongMethod, 405);
    assert.equal(wrongMethod.headers.allow, 'GET, HEAD');
  });

  it('answers HEAD with the headers of the page and no body', async () => {
    const res = await server.get('/packages/0x5eal/unzip', { method: 'HEAD', headers: BROWSER });
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(res.body.length, 0);
  });
});

describe('pages of published packages', () => {
  let server: TestServer;
  let bare: string;
  const page = (p: string) => server.get(p, { headers: BROWSER });
  const publish = async (spec: PackageSpec) => {
    const res = await server.get('/v1/packages', { method: 'POST', body: await buildPackage(spec), headers: { 'content-type': 'application/octet-stream' } });
    assert.equal(res.status, 200, res.text);
  };

  before(async () => {
    server = await startTestServer({ flags: { publishRateLimit: 'off' } });
    bare = path.join(path.dirname(server.index.dir), 'index.git');
    await publish({ name: 'acme/base', version: '1.0.0', description: 'The base <b>layer</b> & more' });
    await publish({
      name: 'acme/widget',
      version: '2.0.0',
      extra: `[indices]\ndefault = "${pathToFileURL(bare).href}"\n\n[dependencies]\nbase = { name = "acme/base", version = "^1.0.0", index = "${pathToFileURL(bare).href}" }\n\n[dev_dependencies]\nother = { name = "elsewhere/thing", version = "^3.0.0", index = "https://github.com/pesde-pkg/index" }\n`,
      files: {
        'README.md': '# Widget\n\nMakes **widgets**.\n\n- one\n- two\n\n```luau\nlocal x = 1 < 2\n```\n\n<img src="x" onerror="alert(1)"><script>alert(1)</script>\n[bad](javascript:alert(1)) [good](https://example.com/ok)\n',
        'docs/intro.md': '---\nlabel: Getting started\nposition: 1\n---\n# Intro\n\nWelcome to **widgets**.',
        'docs/guide/advanced.md': '# Advanced use\n\nDeep <em>stuff</em>.',
      },
    });
  });
  after(async () => {
    await server?.dispose();
  });

  it('renders the README from Markdown, sanitised', async () => {
    const res = await page('/packages/acme/widget');
    assertPage(res, 200);
    const readme = /<article class="readme" id="readme">([\s\S]*?)<\/article>/.exec(res.text)?.[1] ?? '';
    assert.match(readme, /<h1 id="widget">Widget<a class="anchor" href="#widget" aria-label="Link to this section: Widget"><\/a><\/h1>/);
    assert.match(readme, /<strong>widgets<\/strong>/);
    assert.match(readme, /<ul>\s*<li>one<\/li>/);
    assert.match(readme, /<pre class="hl" tabindex="0"><code class="language-luau"><span class="[^"]*">local<\/span>[\s\S]*&lt;[\s\S]*<\/code><\/pre>/);
    assert.match(readme, /<a href="https:\/\/example.com\/ok" rel="nofollow noopener noreferrer">good<\/a>/);
    assert.doesNotMatch(readme, /<script|onerror|javascript:|alert/i);
  });

  it('escapes what packages say about themselves', async () => {
    const res = await page('/packages/acme/base');
    assertPage(res, 200);
    assert.ok(res.text.includes('The base &lt;b&gt;layer&lt;/b&gt; &amp; more'));
    assert.ok(!res.text.includes('<b>layer</b>'));
    assert.ok(rows((await page('/?q=base')).text).some((r) => r.name === 'acme/base'));
  });

  it('links dependencies on this index, names the others with their index, by kind', async () => {
    const res = await page('/packages/acme/widget/dependencies');
    assertPage(res, 200);
    assert.match(res.text, /<h2>Dependencies<\/h2>\s*<ul class="deps"><li><a href="\/packages\/acme\/base">acme\/base <span class="muted">\^1\.0\.0<\/span> <span class="badge" title="resolves for this target">Luau<\/span><\/a>/);
    assert.match(res.text, /<h2>Dev dependencies<\/h2>[\s\S]*elsewhere\/thing[\s\S]*from another index: <a href="https:\/\/github.com\/pesde-pkg\/index" rel="nofollow noopener noreferrer">/);
    assert.ok(!res.text.includes('href="/packages/elsewhere/thing"'));
    assert.ok(res.text.includes(`default = &quot;${pathToFileURL(bare).href}&quot;`), 'the [indices] line names the embedded index as the banner does');
  });

  it('lists the doc pages and renders one without its front matter, nested pages included', async () => {
    const pkg = await page('/packages/acme/widget');
    assert.match(pkg.text, /<a href="\/packages\/acme\/widget\/docs\/intro\?version=2\.0\.0&amp;target=luau">Documentation<\/a>/);
    const intro = await page('/packages/acme/widget/docs/intro?version=2.0.0&target=luau');
    assertPage(intro, 200);
    assert.match(intro.text, /<h1 id="intro">Intro<a class="anchor"[^>]*><\/a><\/h1>\s*<p>Welcome to <strong>widgets<\/strong>\.<\/p>/);
    assert.doesNotMatch(intro.text, /position: 1|label: Getting started/);
    assert.match(intro.text, /<title>Getting started · acme\/widget · pesde registry<\/title>/);
    assert.match(intro.text, /class="here" aria-current="page"/);
    assert.match(intro.text, /<a class="here" aria-current="page" href="\/packages\/acme\/widget\/docs\/intro\?version=2\.0\.0&amp;target=luau">Getting started<\/a>/);
    const nested = await page('/packages/acme/widget/docs/guide/advanced');
    assertPage(nested, 200);
    assert.match(nested.text, /<h1 id="advanced-use">Advanced use<a class="anchor"[^>]*><\/a><\/h1>\s*<p>Deep <em>stuff<\/em>\.<\/p>/);
    const encoded = await page(`/packages/acme/widget/docs/${enc('guide/advanced')}`);
    assertPage(encoded, 200);
  });
});

describe('pages with read auth', () => {
  const TOKEN = 'web-read-secret-token';
  let server: TestServer;
  const logged: string[] = [];
  const logger: Logger = {
    info: (m, f) => logged.push(m + JSON.stringify(f ?? {})),
    warn: (m, f) => logged.push(m + JSON.stringify(f ?? {})),
    error: (m, f) => logged.push(m + JSON.stringify(f ?? {})),
  };
  const login = (token: string, next = '/packages/0x5eal/unzip', headers: Record<string, string> = {}) =>
    server.get('/login', {
      method: 'POST',
      body: new URLSearchParams({ token, next }).toString(),
      headers: { ...BROWSER, 'content-type': 'application/x-www-form-urlencoded', ...headers },
    });

  before(async () => {
    server = await startTestServer({ flags: { index: await cloneFixtureIndex() }, env: { ACCESS_TOKEN: TOKEN, READ_NEEDS_AUTH: '1' }, logger });
  });
  after(async () => {
    await server?.dispose();
  });

  it('answers a page without a token with 401 and the login form, which posts to /login', async () => {
    const res = await server.get('/packages/0x5eal/unzip', { headers: BROWSER });
    assertPage(res, 401);
    assert.match(res.text, /<form method="post" action="\/login">/);
    assert.match(res.text, /<input type="hidden" name="next" value="\/packages\/0x5eal\/unzip">/);
    assert.match(res.text, /type="password" name="token"/);
    assert.equal(res.headers['cache-control'], 'private, no-store');
    assert.ok(!res.text.includes('0x5eal/unzip</h1>'));
  });

  it('refuses a wrong token with 401 and the form again, and sets no cookie', async () => {
    const res = await login('not-the-token');
    assertPage(res, 401);
    assert.match(res.text, /does not give read access/);
    assert.equal(res.headers['set-cookie'], undefined);
  });

  it('turns the right token into an HttpOnly SameSite=Strict cookie that opens the pages', async () => {
    const res = await login(TOKEN);
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, '/packages/0x5eal/unzip');
    const cookie = res.headers['set-cookie']?.[0] ?? '';
    assert.match(cookie, /^pesde_registry_token=[^;]+; Path=\/; Max-Age=\d+; HttpOnly; SameSite=Strict$/);
    const pair = cookie.split(';')[0]!;
    const open = await server.get('/packages/0x5eal/unzip', { headers: { ...BROWSER, cookie: pair } });
    assertPage(open, 200);
    assert.match(open.text, /<form class="logout" method="post" action="\/logout">/);
    assertPage(await server.get('/?q=jecs', { headers: { ...BROWSER, cookie: pair } }), 200);
    // the cookie only opens pages: the API still wants its header
    assert.equal((await server.get('/v1/search', { headers: { cookie: pair } })).status, 401);

    const out = await server.get('/logout', { method: 'POST', headers: { ...BROWSER, cookie: pair } });
    assert.equal(out.status, 303);
    assert.match(out.headers['set-cookie']?.[0] ?? '', /^pesde_registry_token=; Path=\/; Max-Age=0; HttpOnly; SameSite=Strict$/);
  });

  it('accepts the Authorization header as the API does, and drops a cookie that no longer works', async () => {
    assertPage(await server.get('/', { headers: { ...BROWSER, authorization: `Bearer ${TOKEN}` } }), 200);
    const stale = await server.get('/', { headers: { ...BROWSER, cookie: 'pesde_registry_token=revoked' } });
    assertPage(stale, 401);
    assert.match(stale.text, /does not give read access/);
    assert.match(stale.headers['set-cookie']?.[0] ?? '', /Max-Age=0/);
  });

  it('keeps logins to this site: other origins and other-site next paths are refused', async () => {
    const foreign = await login(TOKEN, '/', { origin: 'https://evil.example' });
    assertPage(foreign, 403);
    assert.equal(foreign.headers['set-cookie'], undefined);
    for (const next of ['//evil.example/x', 'https://evil.example/', '/\\evil.example']) {
      const res = await login(TOKEN, next);
      assert.equal(res.status, 303);
      assert.equal(res.headers.location, '/');
    }
  });

  it('never writes a token to the log', async () => {
    await login(TOKEN);
    await login('a-wrong-token-value');
    assert.ok(logged.length > 0);
    assert.ok(!logged.some((line) => line.includes(TOKEN) || line.includes('a-wrong-token-value')), logged.join('\n'));
  });
});

describe('in a real browser', () => {
  let server: TestServer;
  let scratch: string;

  before(async () => {
    scratch = await mkdtemp(path.join(tmpdir(), 'pesde-web-browser-'));
    server = await startTestServer({ flags: { publishRateLimit: 'off' } });
  });
  after(async () => {
    await server?.dispose();
    if (process.env.PESDE_REGISTRY_KEEP_SCREENSHOTS === '1') return;
    await rm(scratch, { recursive: true, force: true });
  });

  it('renders a hostile README as inert markup: no script runs, the title stays, a screenshot shows the page', { timeout: 120_000 }, async (t) => {
    const readme = [
      '# Shiny',
      '',
      'A package that tries its luck.',
      '',
      '- first item',
      '- second item',
      '',
      '```luau',
      'local shiny = require("shiny")',
      'print(shiny.polish())',
      '```',
      '',
      '<img src="x" onerror="window.__pwned = true; document.title = \'pwned\'">',
      '',
      '<script>window.__pwned = true; document.title = "pwned";</script>',
      '',
      '[click me](javascript:window.__pwned=true)',
      '',
    ].join('\n');
    const body = await buildPackage({ name: 'acme/shiny', version: '1.0.0', description: 'Polishes things', files: { 'README.md': readme } });
    const published = await server.get('/v1/packages', { method: 'POST', body, headers: { 'content-type': 'application/octet-stream' } });
    assert.equal(published.status, 200, published.text);

    const launched = await launchTestBrowser(t);
    if (!launched) return;
    try {
      const context = await launched.browser.newContext({ viewport: { width: 1200, height: 900 } });
      const tab = await context.newPage();
      const response = await tab.goto(`${server.url}/packages/acme/shiny`, { waitUntil: 'load' });
      assert.equal(response?.status(), 200);
      const screenshot = path.join(scratch, 'acme-shiny.png');
      await tab.screenshot({ path: screenshot, fullPage: true });
      t.diagnostic(`screenshot: ${screenshot}`);

      // runs in the page; the test compiles without the DOM library, hence the small shapes
      const seen = await tab.evaluate(() => {
        const page = globalThis as unknown as BrowserGlobals;
        const readmeBox = page.document.querySelector('#readme');
        const heading = readmeBox?.querySelector('h1, h2');
        return {
          heading: heading ? { tag: heading.tagName, text: heading.textContent } : null,
          pwned: page.__pwned,
          scripts: readmeBox?.querySelectorAll('script').length ?? -1,
          pageScripts: page.document.querySelectorAll('script').length,
          handlers: [...(readmeBox?.querySelectorAll('*') ?? [])].flatMap((el) => el.getAttributeNames().filter((n) => n.startsWith('on'))),
          scriptLinks: [...(readmeBox?.querySelectorAll('a') ?? [])].filter((a) => /^\s*javascript:/i.test(a.getAttribute('href') ?? '')).length,
          listItems: readmeBox?.querySelectorAll('ul > li').length ?? 0,
          code: readmeBox?.querySelector('pre > code')?.textContent ?? null,
          title: page.document.title,
        };
      });
      assert.deepEqual(seen.heading, { tag: 'H1', text: 'Shiny' });
      assert.equal(seen.pwned, undefined);
      assert.equal(seen.scripts, 0);
      assert.equal(seen.pageScripts, 1, "only the page's own script, allowed by its hash");
      assert.deepEqual(seen.handlers, []);
      assert.equal(seen.scriptLinks, 0);
      assert.equal(seen.listItems, 2);
      assert.match(seen.code ?? '', /print\(shiny\.polish\(\)\)/);
      assert.equal(seen.title, 'acme/shiny@1.0.0 · pesde registry');

      // clicking the neutered link must not run anything either
      await tab.getByText('click me').click();
      assert.equal(await tab.evaluate(() => (globalThis as unknown as BrowserGlobals).__pwned), undefined);

      const png = await readFile(screenshot);
      assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'a PNG file');
      assert.ok(png.length > 10_000, `a screenshot of a real page, not a blank (${png.length} bytes)`);
      assert.ok(png.readUInt32BE(16) >= 1000 && png.readUInt32BE(20) >= 500, 'the viewport width and at least a screen of height');
    } finally {
      await launched.browser.close();
    }
  });
});
