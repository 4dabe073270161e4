/**
 * The frame around every page: document head with the inline stylesheet and script
 * (page-assets.ts), a skip link, a header with the search box (a plain GET form, so it
 * works without JavaScript) and a footer.
 */
import { html, trustedHtml, type SafeHtml } from './html.js';
import type { PageAssets } from './page-assets.js';

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

export function renderDocument(frame: PageFrame, assets: PageAssets): string {
  // constants of the server, not data: `>` and quotes in them must reach the browser as written
  const style = trustedHtml(assets.style);
  const script = trustedHtml(assets.script);
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>${frame.title} · pesde registry</title>
<style>${style}</style>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top"><div class="wrap">
<a class="brand" href="/">pesde registry</a>
<form class="search" method="get" action="/" role="search">
<input type="search" name="q" value="${frame.query ?? ''}" placeholder="Search packages" aria-label="Search packages">
<button type="submit">Search</button>
</form>
${frame.signedIn && html`<form class="logout" method="post" action="/logout">${frame.signedInAs !== undefined && html`<span class="small muted">Signed in as ${frame.signedInAs}</span> `}<button type="submit">Log out</button></form>`}
</div></header>
<main class="wrap" id="main">
${frame.body}
</main>
<footer><div class="wrap">${frame.serverName}</div></footer>
<script>${script}</script>
</body>
</html>
`.text;
}
