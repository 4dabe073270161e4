/**
 * The frame around every page: document head with the inline stylesheet, a header with
 * the search box (a plain GET form, so it works without JavaScript) and a footer.
 */
import { html, trustedHtml, type SafeHtml } from './html.js';
import { STYLESHEET } from './styles.js';

// a constant of this module, not data: `>` and quotes in it must reach the browser as written
const STYLE = trustedHtml(STYLESHEET);

export interface PageFrame {
  /** the page's own title; the registry's name is appended */
  title: string;
  body: SafeHtml;
  /** what the search box shows */
  query?: string;
  /** shows "Log out" (the reader signed in with the form) */
  signedIn?: boolean;
  /** who the login cookie's token is ("Signed in as alice") */
  signedInAs?: string | undefined;
  /** `pesde-registry/<version>` */
  serverName: string;
}

export function renderDocument(frame: PageFrame): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>${frame.title} · pesde registry</title>
<style>${STYLE}</style>
</head>
<body>
<header class="top"><div class="wrap">
<a class="brand" href="/">pesde registry</a>
<form class="search" method="get" action="/" role="search">
<input type="search" name="q" value="${frame.query ?? ''}" placeholder="Search packages" aria-label="Search packages">
<button type="submit">Search</button>
</form>
${frame.signedIn && html`<form class="logout" method="post" action="/logout">${frame.signedInAs !== undefined && html`<span class="small muted">Signed in as ${frame.signedInAs}</span> `}<button type="submit">Log out</button></form>`}
</div></header>
<main class="wrap">
${frame.body}
</main>
<footer><div class="wrap">${frame.serverName}</div></footer>
</body>
</html>
`.text;
}
