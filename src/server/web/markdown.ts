/**
 * README and doc pages, Markdown to HTML: `marked` (GitHub-flavoured, as package authors
 * write for GitHub) renders, then `sanitize-html` keeps only an allow-list of tags,
 * attributes and URL schemes. Markdown allows raw HTML, so the sanitiser is what stands
 * between a published README and the reader: no script, style, iframe or form, no event
 * handler or style attribute, no javascript: (or any non-http) link, images from https or
 * data: only (the CSP's img-src). Both load on the first page that needs them, as the
 * write pipeline does, so API-only servers start without them.
 */
import type { Marked } from 'marked';
import type sanitizeHtml from 'sanitize-html';
import { html, trustedHtml, type SafeHtml } from './html.js';

/** Larger Markdown is shown as plain text: rendering it could hold the server up for long. */
const MAX_MARKDOWN_CHARS = 512 * 1024;

interface Renderer {
  marked: Marked;
  sanitize: typeof sanitizeHtml;
  options: sanitizeHtml.IOptions;
}

let renderer: Promise<Renderer> | undefined;

function loadRenderer(): Promise<Renderer> {
  renderer ??= (async () => {
    const [{ Marked }, { default: sanitize }] = await Promise.all([import('marked'), import('sanitize-html')]);
    return { marked: new Marked({ gfm: true, async: false }), sanitize, options: sanitizeOptions(sanitize) };
  })();
  return renderer;
}

function sanitizeOptions(sanitize: typeof sanitizeHtml): sanitizeHtml.IOptions {
  return {
    allowedTags: [...sanitize.defaults.allowedTags, 'img', 'del', 'ins', 'details', 'summary', 'input'],
    allowedAttributes: {
      // rel is always replaced by the transform below
      a: ['href', 'title', 'rel'],
      img: ['src', 'alt', 'title', 'width', 'height'],
      code: ['class'],
      ol: ['start'],
      td: ['align'],
      th: ['align'],
      details: ['open'],
      // GFM task lists
      input: ['type', 'checked', 'disabled'],
    },
    allowedClasses: { code: ['language-*'] },
    allowedSchemes: ['http', 'https', 'mailto'],
    allowedSchemesByTag: { img: ['https', 'data'] },
    allowProtocolRelative: false,
    disallowedTagsMode: 'discard',
    transformTags: {
      // links lead away from the registry: no opener, no referrer, no search-engine credit
      a: sanitize.simpleTransform('a', { rel: 'nofollow noopener noreferrer' }),
      // the CSP would block any other image source and leave a broken-image icon: show the alt text
      img: (tagName, attribs) =>
        /^(https:|data:)/i.test(attribs.src ?? '')
          ? { tagName, attribs }
          : { tagName: 'span', attribs: {}, text: attribs.alt ?? '' },
      // the only input a README may hold is a task list box, and it must not be editable
      input: (_tag, attribs) => ({
        tagName: 'input',
        attribs: { type: attribs.type ?? '', disabled: '', ...(attribs.checked === undefined ? {} : { checked: '' }) },
      }),
    },
    exclusiveFilter: (frame) => frame.tag === 'input' && frame.attribs.type !== 'checkbox',
  };
}

export async function renderMarkdown(markdown: string): Promise<SafeHtml> {
  if (markdown.length > MAX_MARKDOWN_CHARS) return html`<pre>${markdown}</pre>`;
  const { marked, sanitize, options } = await loadRenderer();
  return trustedHtml(sanitize(marked.parse(markdown, { async: false }), options));
}

/**
 * The page without its front matter (the lines between a first-line `---` and the next
 * `---`): it configures the doc sidebar and is not meant to be read.
 */
export function stripFrontMatter(page: string): string {
  const match = /^---\r?\n(?:[\s\S]*?\r?\n)?---[ \t]*(?:\r?\n|$)/.exec(page);
  return match ? page.slice(match[0].length) : page;
}
