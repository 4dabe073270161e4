/**
 * The Markdown renderer through its real path (worker pool, deadline, content cache) on
 * ordinary and hostile input: what GitHub shows (alerts, emoji, heading ids, highlighting)
 * comes out, what a README must not do (script, handlers, styles, foreign classes) does not,
 * and inputs that take marked seconds or recurse deeply come back as escaped text, fast.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_MARKDOWN_CHARS, renderMarkdown, renderStats } from '../../src/server/web/markdown.js';

describe('Markdown rendering', () => {
  it('renders alerts, emoji, unique heading ids with anchors, and highlighted Luau', { timeout: 60_000 }, async () => {
    const out = await renderMarkdown('# Title :rocket:\n\n## Part\n\n## Part\n\n> [!TIP]\n> Try it.\n\n```luau\nlocal t: {number} = {}\n```\n\n```weird\nplain <b>\n```\n');
    assert.equal(out.fallback, undefined);
    const text = out.html.text;
    assert.match(text, /<h1 id="title-">Title 🚀<a class="anchor" href="#title-"/);
    assert.match(text, /<h2 id="part">Part<a class="anchor" href="#part"/);
    assert.match(text, /<h2 id="part-1">/);
    assert.deepEqual(out.headings.map((h) => [h.depth, h.id]), [[1, 'title-'], [2, 'part'], [2, 'part-1']]);
    assert.match(text, /<div class="markdown-alert markdown-alert-tip">\s*<p class="markdown-alert-title">Tip<\/p>/);
    assert.match(text, /<pre class="hl" tabindex="0"><code class="language-luau"><span class="l-[0-9a-f]{6} d-[0-9a-f]{6}">local<\/span>/);
    assert.match(text, /<pre tabindex="0"><code class="language-weird">plain &lt;b&gt;<\/code><\/pre>/);
  });

  it('sanitises after every transform: no script, handler, style, iframe, foreign class or script link', { timeout: 60_000 }, async () => {
    const out = await renderMarkdown([
      '<script>alert(1)</script><img src="x" onerror="alert(1)"><iframe src="https://evil.example"></iframe>',
      '<div class="notice" style="color:red">borrowed class</div><span class="l-000000 evil">x</span>',
      '[bad](javascript:alert(1)) <a href="vbscript:x">v</a> <a href="#ok" onclick="x">ok</a>',
      '# <img src=x onerror=alert(1)>heading',
      '```luau\n</code></pre><script>alert(1)</script>\n```',
    ].join('\n\n'));
    const text = out.html.text;
    assert.doesNotMatch(text, /<script|onerror|onclick|<iframe|style=|javascript:|vbscript:|class="notice"|evil/i);
    assert.match(text, /<div>borrowed class<\/div>/);
    assert.match(text, /<span class="l-000000">x<\/span>/);
    // the code block's `</code></pre><script>` stays text inside the block
    assert.match(text, /<pre class="hl" tabindex="0"><code class="language-luau">[\s\S]*&lt;<\/span><span[^>]*>script<\/span>[\s\S]*<\/code><\/pre>\n$/);
  });

  it('answers input that takes marked seconds as escaped text within the deadline, once', { timeout: 60_000 }, async () => {
    const hostile = `<b>${'_a'.repeat(40_000)}`;
    const started = performance.now();
    const out = await renderMarkdown(hostile);
    const ms = performance.now() - started;
    assert.equal(out.fallback, 'timeout');
    assert.ok(ms < 20_000, `${ms.toFixed(0)} ms`);
    assert.match(out.html.text, /^<p class="notice small">This text took too long to format, so it is shown as plain text\.<\/p><pre class="plain">&lt;b&gt;_a_a/);
    const timeouts = renderStats().timeouts;
    assert.equal(await renderMarkdown(hostile), out, 'the second call is the cached result');
    assert.equal(renderStats().timeouts, timeouts);
  });

  it('survives deep nesting of quotes and lists', { timeout: 60_000 }, async () => {
    for (const deep of ['>'.repeat(50_000), `${'- '.repeat(5_000)}x`, `${'<div>'.repeat(20_000)}x`]) {
      const out = await renderMarkdown(deep);
      assert.equal(typeof out.html.text, 'string');
      assert.doesNotMatch(out.html.text, /<script/);
    }
  });

  it('shows text past the size cap as its escaped beginning, without rendering', async () => {
    const out = await renderMarkdown(`<i>${'x'.repeat(MAX_MARKDOWN_CHARS + 10)}`);
    assert.equal(out.fallback, 'too-large');
    assert.match(out.html.text, /<pre class="plain">&lt;i&gt;x+<\/pre>$/);
    assert.ok(out.html.text.length < MAX_MARKDOWN_CHARS + 500);
  });
});
