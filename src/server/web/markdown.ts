/**
 * README and doc pages as HTML, without ever holding the event loop: the Markdown goes to
 * the render pool (worker threads with a deadline, render-pool.ts) and the result is kept
 * in a cache keyed by the content (SHA-256 of the renderer's version and the source), so a
 * page is rendered once, not per view, and identical READMEs of many versions share one
 * entry. Whatever cannot be rendered in time (or at all) is shown as escaped text with a
 * note: a page never fails because of its README.
 */
import { workerEntry } from '../../worker-entry.js';
import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { ByteLru } from '../byte-lru.js';
import { html, trustedHtml, type SafeHtml } from './html.js';
import type { Heading, RenderInput, RenderOutput } from './markdown-render.js';
import { RenderPool, type PoolOutcome } from './render-pool.js';

export type { Heading } from './markdown-render.js';

export interface RenderedMarkdown {
  html: SafeHtml;
  headings: Heading[];
  /** the content key: what a cached page built around it is keyed by */
  key: string;
  /** why the text is shown unrendered, when it is */
  fallback?: 'too-large' | 'timeout' | 'busy' | 'failed';
}

/** Bumped whenever the rendering changes, so cached results of an older renderer are not served. */
const RENDERER_VERSION = '4';
/** Larger Markdown is not rendered at all; its start is shown as text. */
export const MAX_MARKDOWN_CHARS = 512 * 1024;
/** far above any real README's rendering (tens of ms), far below a hostile one's (seconds to minutes) */
const RENDER_TIMEOUT_MS = 2_000;
const MAX_WAIT_MS = 4_000;
const QUEUE_LIMIT = 32;
const CACHE_BYTES = 32 * 1024 * 1024;
/** a render that failed or ran out of time is tried again after this long (the machine may have been busy) */
const FAILURE_TTL_MS = 10 * 60 * 1000;

interface CacheEntry {
  rendered: RenderedMarkdown;
  /** for failures: when to try again */
  expires?: number;
}

const cache = new ByteLru<CacheEntry>(CACHE_BYTES);
/** one render per key at a time: many views of a new page wait for the same job */
const inFlight = new Map<string, Promise<RenderedMarkdown>>();
let pool: RenderPool<RenderInput, RenderOutput> | undefined;

function renderPool(): RenderPool<RenderInput, RenderOutput> {
  pool ??= new RenderPool({
    workerUrl: workerEntry('server/web/render-worker'),
    size: Math.max(1, Math.min(2, availableParallelism() - 1)),
    queueLimit: QUEUE_LIMIT,
    timeoutMs: RENDER_TIMEOUT_MS,
    maxWaitMs: MAX_WAIT_MS,
    resourceLimits: { maxOldGenerationSizeMb: 256, stackSizeMb: 4 },
  });
  return pool;
}

/** What the pool did so far (for tests and logs). */
export function renderStats(): { cached: number; cacheBytes: number; started: number; timeouts: number; busy: number } {
  const stats = pool?.stats ?? { started: 0, terminated: 0, timeouts: 0, busy: 0 };
  return { cached: cache.size, cacheBytes: cache.bytes, started: stats.started, timeouts: stats.timeouts, busy: stats.busy };
}

export async function renderMarkdown(source: string, opts: { stripFrontMatter?: boolean } = {}): Promise<RenderedMarkdown> {
  const stripFrontMatter = opts.stripFrontMatter === true;
  const key = createHash('sha256').update(`${RENDERER_VERSION}\0${stripFrontMatter ? 'doc' : 'readme'}\0`).update(source).digest('base64url');
  const hit = cache.get(key);
  if (hit !== undefined && (hit.expires === undefined || hit.expires > Date.now())) return hit.rendered;
  if (source.length > MAX_MARKDOWN_CHARS) return remember(asText(source, key, 'too-large'));
  let running = inFlight.get(key);
  if (running === undefined) {
    running = renderPool()
      .run({ source, stripFrontMatter })
      .then((outcome) => settle(outcome, source, key))
      .finally(() => inFlight.delete(key));
    inFlight.set(key, running);
  }
  return running;
}

function settle(outcome: PoolOutcome<RenderOutput>, source: string, key: string): RenderedMarkdown {
  if (outcome.kind === 'done') return remember({ html: trustedHtml(outcome.value.html), headings: outcome.value.headings, key });
  const text = asText(source, key, outcome.kind);
  // "busy" says nothing about the content: the next view tries again
  return outcome.kind === 'busy' ? text : remember(text, Date.now() + FAILURE_TTL_MS);
}

function remember(rendered: RenderedMarkdown, expires?: number): RenderedMarkdown {
  cache.set(rendered.key, { rendered, expires }, rendered.html.text.length * 2 + 256);
  return rendered;
}

const NOTES: Record<NonNullable<RenderedMarkdown['fallback']>, string> = {
  'too-large': 'This text is too large to format; its beginning is shown as plain text.',
  timeout: 'This text took too long to format, so it is shown as plain text.',
  busy: 'The server is busy formatting other pages, so this text is shown as plain text; reload to try again.',
  failed: 'This text could not be formatted, so it is shown as plain text.',
};

function asText(source: string, key: string, why: NonNullable<RenderedMarkdown['fallback']>): RenderedMarkdown {
  const shown = source.length > MAX_MARKDOWN_CHARS ? source.slice(0, MAX_MARKDOWN_CHARS) : source;
  return { html: html`<p class="notice small">${NOTES[why]}</p><pre class="plain">${shown}</pre>`, headings: [], key, fallback: why };
}
