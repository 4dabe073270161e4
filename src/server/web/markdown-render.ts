/**
 * Markdown to safe HTML, the CPU-heavy part: runs inside the render worker only (see
 * render-pool.ts), never on the event loop. `marked` (GitHub-flavoured, as package authors
 * write for GitHub) parses; on top of it, what GitHub shows too: alerts (`> [!NOTE]`),
 * emoji shortcodes (`:tada:`, GitHub's own list from gemoji), heading ids with a link to
 * each (github-slugger, so README links like `#installation` work as on GitHub), and code
 * blocks coloured by highlight.ts.
 *
 * `sanitize-html` runs LAST, over everything the transforms made: Markdown allows raw HTML,
 * so the allow-list is what stands between a published README and the reader: no script,
 * style, iframe or form, no event handler or style attribute, no javascript: (or any
 * non-http) link, images from https or data: only (the CSP's img-src), classes only those
 * the page's stylesheet knows.
 */
import type { Marked, Tokens } from 'marked';
import type sanitizeHtml from 'sanitize-html';
import type GithubSlugger from 'github-slugger';
import { escapeHtml } from './html.js';
import { highlightCode, loadHighlighter } from './highlight.js';

export interface Heading {
  depth: number;
  text: string;
  id: string;
}

export interface RenderInput {
  source: string;
  /** a doc page: its front matter configures the sidebar and is not shown */
  stripFrontMatter: boolean;
}

export interface RenderOutput {
  html: string;
  headings: Heading[];
}

interface Renderer {
  marked: Marked;
  sanitize: typeof sanitizeHtml;
  options: sanitizeHtml.IOptions;
  /** a fresh slugger and heading list for the next document */
  startDocument(): Heading[];
}

let renderer: Promise<Renderer> | undefined;

/** Loads marked, the sanitiser, emoji and the highlighter (the worker does it while warming up). */
export function loadMarkdownRenderer(): Promise<Renderer> {
  renderer ??= (async () => {
    const [{ Marked }, { default: sanitize }, { default: markedAlert }, { nameToEmoji }, { default: Slugger }] = await Promise.all([
      import('marked'),
      import('sanitize-html'),
      import('marked-alert'),
      import('gemoji'),
      import('github-slugger'),
      loadHighlighter(),
    ]);
    // one document at a time per worker: the heading renderer adds to the current one
    const state: { slugger: GithubSlugger; headings: Heading[] } = { slugger: new Slugger(), headings: [] };
    const marked = new Marked({ gfm: true, async: false });
    marked.use(markedAlert());
    marked.use({
      extensions: [
        {
          name: 'emoji',
          level: 'inline',
          start: (src: string) => src.indexOf(':'),
          tokenizer(src: string) {
            const match = /^:([a-z0-9_+-]{1,40}):/.exec(src);
            const emoji = match === null ? undefined : nameToEmoji[match[1]!];
            return emoji === undefined ? undefined : { type: 'emoji', raw: match![0], emoji };
          },
          renderer: (token) => escapeHtml(String(token.emoji)),
        },
      ],
      renderer: {
        heading(this: { parser: { parseInline(tokens: Tokens.Generic[]): string } }, token: Tokens.Heading) {
          const inner = this.parser.parseInline(token.tokens);
          const text = decodeEntities(inner.replace(/<[^>]*>/g, '')).trim();
          const id = state.slugger.slug(text);
          state.headings.push({ depth: token.depth, text, id });
          // the "#" is drawn by the stylesheet: the heading's text stays the heading's text
          return `<h${token.depth} id="${escapeHtml(id)}">${inner}<a class="anchor" href="#${escapeHtml(encodeURIComponent(id))}" aria-label="Link to this section: ${escapeHtml(text)}"></a></h${token.depth}>\n`;
        },
        code(token: Tokens.Code) {
          const lang = /^\S+/.exec(token.lang ?? '')?.[0];
          const coloured = highlightCode(token.text, lang);
          const langClass = lang === undefined ? '' : ` class="language-${escapeHtml(lang)}"`;
          if (coloured === null) return `<pre><code${langClass}>${escapeHtml(token.text)}</code></pre>\n`;
          return `<pre class="hl"><code${langClass}>${coloured}</code></pre>\n`;
        },
      },
    });
    const startDocument = (): Heading[] => {
      state.slugger = new Slugger();
      state.headings = [];
      return state.headings;
    };
    return { marked, sanitize, options: sanitizeOptions(sanitize), startDocument };
  })();
  return renderer;
}

export async function renderMarkdownNow(input: RenderInput): Promise<RenderOutput> {
  const { marked, sanitize, options, startDocument } = await loadMarkdownRenderer();
  const headings = startDocument();
  const source = input.stripFrontMatter ? stripFrontMatter(input.source) : input.source;
  const html = sanitize(marked.parse(source, { async: false }), options);
  return { html, headings };
}

/** The page without its front matter (the lines between a first-line `---` and the next `---`). */
export function stripFrontMatter(page: string): string {
  const match = /^---\r?\n(?:[\s\S]*?\r?\n)?---[ \t]*(?:\r?\n|$)/.exec(page);
  return match ? page.slice(match[0].length) : page;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" };

function decodeEntities(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|#39);/g, (_m, name: string) => ENTITIES[name] ?? '');
}

function sanitizeOptions(sanitize: typeof sanitizeHtml): sanitizeHtml.IOptions {
  const headingAttributes = ['id'];
  return {
    allowedTags: [...sanitize.defaults.allowedTags, 'img', 'del', 'ins', 'details', 'summary', 'input'],
    allowedAttributes: {
      // rel is always replaced by the transform below
      a: ['href', 'title', 'rel', 'class', 'aria-label'],
      img: ['src', 'alt', 'title', 'width', 'height'],
      code: ['class'],
      pre: ['class', 'tabindex'],
      span: ['class'],
      div: ['class'],
      p: ['class'],
      ol: ['start'],
      td: ['align'],
      th: ['align'],
      details: ['open'],
      h1: headingAttributes,
      h2: headingAttributes,
      h3: headingAttributes,
      h4: headingAttributes,
      h5: headingAttributes,
      h6: headingAttributes,
      // GFM task lists
      input: ['type', 'checked', 'disabled'],
    },
    // only classes the stylesheet styles: a README cannot borrow the page's own (say `notice`)
    allowedClasses: {
      code: ['language-*'],
      pre: ['hl'],
      span: ['l-*', 'd-*'],
      a: ['anchor'],
      div: ['markdown-alert', 'markdown-alert-*'],
      p: ['markdown-alert-title'],
    },
    allowedSchemes: ['http', 'https', 'mailto'],
    allowedSchemesByTag: { img: ['https', 'data'] },
    allowProtocolRelative: false,
    disallowedTagsMode: 'discard',
    transformTags: {
      // links lead away from the registry: no opener, no referrer, no search-engine credit
      a: (tagName, attribs) => ({
        tagName,
        attribs: (attribs.href ?? '').startsWith('#') ? attribs : { ...attribs, rel: 'nofollow noopener noreferrer' },
      }),
      // a code block scrolls sideways on a narrow screen: keyboard users must be able to scroll it too
      pre: (tagName, attribs) => ({ tagName, attribs: { ...attribs, tabindex: '0' } }),
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
