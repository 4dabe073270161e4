/**
 * A README cannot stall the server (issue 11, point 1): over real HTTP on 127.0.0.1, a
 * package page with a README that takes marked seconds to minutes answers within a generous
 * bound, as escaped text with a note, while /health keeps answering fast; the second view
 * comes from the cache; deeply nested quotes and a README past the size cap do not crash
 * anything; an ordinary README next to them still renders. Bounds are generous on purpose
 * (a shared, loaded machine); the figures are printed as diagnostics.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { renderStats } from '../../src/server/web/markdown.js';
import { startTestServer, type TestServer } from '../helpers/http.js';
import { buildPackage } from '../helpers/package-fixture.js';

const BROWSER = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };
/** marked needs ~7.5 s for this on the machine the issue was measured on, minutes at 512 K */
const HOSTILE_README = `# Hostile\n\n${'_a'.repeat(40_000)}\n`;
const DEEP_README = `${'>'.repeat(20_000)} deep\n`;

interface Timed<T> {
  value: T;
  ms: number;
}

async function timed<T>(run: () => Promise<T>): Promise<Timed<T>> {
  const start = performance.now();
  const value = await run();
  return { value, ms: performance.now() - start };
}

describe('README rendering does not hold the event loop', () => {
  let server: TestServer;
  const page = (p: string) => server.get(p, { headers: BROWSER, timeoutMs: 60_000 });
  const publish = async (name: string, readme: string) => {
    const body = await buildPackage({ name, version: '1.0.0', files: { 'README.md': readme } });
    const res = await server.get('/v1/packages', { method: 'POST', body, headers: { 'content-type': 'application/octet-stream' } });
    assert.equal(res.status, 200, res.text);
  };

  before(async () => {
    server = await startTestServer({ flags: { publishRateLimit: 'off' } });
    await publish('acme/hostile', HOSTILE_README);
    await publish('acme/deep', DEEP_README);
    await publish('acme/huge', `# Huge\n\n${'word '.repeat(120_000)}\n`);
    await publish('acme/fine', '# Fine\n\n> [!NOTE]\n> Read this.\n\n```luau\nlocal x = 1\n```\n');
  });
  after(async () => {
    await server?.dispose();
  });

  it('answers the hostile README as escaped text with a note, while /health stays fast', { timeout: 120_000 }, async (t) => {
    // /health every 20 ms while the page renders: each answer's latency is the event loop's delay
    const healthMs: number[] = [];
    let rendering = true;
    const probe = (async () => {
      while (rendering) {
        const { value, ms } = await timed(() => server.get('/health'));
        assert.equal(value.status, 200);
        healthMs.push(ms);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    const first = await timed(() => page('/packages/acme/hostile'));
    rendering = false;
    await probe;

    assert.equal(first.value.status, 200);
    const readme = /<article class="readme" id="readme">([\s\S]*?)<\/article>/.exec(first.value.text)?.[1] ?? '';
    assert.match(readme, /<p class="notice small">This text took too long to format/);
    assert.match(readme, /<pre class="plain"># Hostile\n\n_a_a_a/);
    assert.ok(first.ms < 30_000, `the hostile page answered in ${first.ms.toFixed(0)} ms`);
    assert.ok(healthMs.length >= 5, `/health was asked ${healthMs.length} times during the render`);
    const worst = Math.max(...healthMs);
    t.diagnostic(`hostile page: ${first.ms.toFixed(0)} ms; /health during it: ${healthMs.length} answers, worst ${worst.toFixed(1)} ms, median ${median(healthMs).toFixed(1)} ms`);
    // generous: the loop is free, but the test client shares it and the machine is shared
    assert.ok(worst < 500, `/health waited ${worst.toFixed(0)} ms while the README rendered`);

    const timeoutsBefore = renderStats().timeouts;
    const second = await timed(() => page('/packages/acme/hostile'));
    assert.equal(second.value.status, 200);
    assert.match(second.value.text, /This text took too long to format/);
    assert.equal(renderStats().timeouts, timeoutsBefore, 'the second view did not render again');
    t.diagnostic(`second view: ${second.ms.toFixed(1)} ms (from the cache)`);
    assert.ok(second.ms < first.ms / 4, `second view ${second.ms.toFixed(0)} ms vs first ${first.ms.toFixed(0)} ms`);
  });

  it('survives 20 000 nested quotes and a README past the size cap, and still renders ordinary ones', { timeout: 120_000 }, async (t) => {
    const deep = await timed(() => page('/packages/acme/deep'));
    assert.equal(deep.value.status, 200);
    assert.match(deep.value.text, /<article class="readme" id="readme">/);
    t.diagnostic(`deep nesting page: ${deep.ms.toFixed(0)} ms`);

    const huge = await page('/packages/acme/huge');
    assert.equal(huge.status, 200);
    assert.match(huge.text, /This text is too large to format; its beginning is shown as plain text\./);

    const fine = await page('/packages/acme/fine');
    assert.equal(fine.status, 200);
    assert.match(fine.text, /<div class="markdown-alert markdown-alert-note">/);
    assert.match(fine.text, /<pre class="hl" tabindex="0"><code class="language-luau"><span class="l-[0-9a-f]{6} d-[0-9a-f]{6}">local<\/span>/);
    // the server is still whole: the API answers
    assert.equal((await server.get('/health')).status, 200);
  });
});

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}
