/**
 * The form that opens a registry whose reads need a token. It posts to /login (never a
 * GET: a token in a URL would end up in logs and history); `next` brings the reader back
 * to the page they asked for.
 */
import { html } from './html.js';
import type { PageContent } from './page-request.js';

export function loginPage(next: string, failed: boolean): PageContent {
  return {
    status: 401,
    title: 'Sign in',
    body: html`<div class="login">
<h1>Sign in</h1>
<p>Reading this registry needs a token: the same one pesde uses for it.</p>
${failed && html`<div class="notice bad">That token does not give read access to this registry.</div>`}
<form method="post" action="/login">
<input type="hidden" name="next" value="${next}">
<input type="password" name="token" autocomplete="current-password" required aria-label="Token" placeholder="Token" autofocus>
<button type="submit">Sign in</button>
</form>
<p class="small muted">The token is kept in a cookie that only this site receives and no script can read.</p>
</div>`,
  };
}
