/**
 * The pages for people, in front of the API: a request whose Accept prefers HTML gets a
 * page for `/`, `/packages/<scope>/<name>[/docs/<page>]`, and an HTML 404 for any path the
 * API does not know either; every other request goes on to the API untouched. The login
 * form's `/login` and `/logout` are pages whatever the Accept header says.
 *
 * Order per request: route, read auth (header or login cookie; the login form on 401),
 * the page, the layout. Errors become error pages with the API's statuses and messages.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody } from '../body.js';
import { ByteLru } from '../byte-lru.js';
import { CachedBody } from '../cached-body.js';
import type { ServerContext } from '../context.js';
import { beginErrorAnswer } from '../error-answer.js';
import { HttpError } from '../http-error.js';
import { decodeSegment } from '../path-params.js';
import { splitPath } from '../router.js';
import { prefersHtml } from './accept.js';
import { renderDocument } from './layout.js';
import { docPage } from './page-doc.js';
import { errorPage } from './page-error.js';
import { loginPage } from './page-login.js';
import { pageAssets } from './page-assets.js';
import { dependenciesPage, packagePage, versionsPage } from './page-package.js';
import { similarPackages } from './similar-packages.js';
import type { PageContent, PageHandler, PageRequest } from './page-request.js';
import { listPage } from './pages-list.js';
import {
  authenticatePage,
  clearedTokenCookie,
  isSecureRequest,
  MAX_TOKEN_LENGTH,
  readCookie,
  TOKEN_COOKIE,
  tokenCookie,
  tokenOpensReads,
} from './session-cookie.js';
import { sendPage, sendSeeOther } from './web-response.js';

/**
 * true when the request was answered here; false sends it on to the API (at once, without a
 * promise, for the API's own clients)
 */
export type WebAnswer = (req: IncomingMessage, res: ServerResponse) => false | Promise<boolean>;

type WebRoute =
  | { kind: 'page'; handler: PageHandler; params: Record<string, string> }
  | { kind: 'login' }
  | { kind: 'logout' };

/**
 * Finished pages (bytes and gzip form) by the page's content key: a second view of a
 * package page costs a lookup, not a render, an assembly and a compression.
 */
const PAGE_CACHE_BYTES = 32 * 1024 * 1024;
const pageCache = new ByteLru<CachedBody>(PAGE_CACHE_BYTES);

/** A form body holds a token and a path: a few KiB at most. */
const FORM_BODY_LIMIT = 16 * 1024;
const MAX_NEXT_LENGTH = 2048;

/**
 * false when createWebRoutes' answer is certain to be false (send it on to the API) without
 * matching a route: the Accept header does not prefer HTML and the path cannot be the login
 * form's (`/login`, `/logout`, whatever the Accept header). What every API client costs here.
 */
export function mayBePage(req: IncomingMessage, path: string): boolean {
  return prefersHtml(req.headers.accept) || path.includes('log');
}

export function createWebRoutes(server: ServerContext, isApiPath: (method: string, path: string) => boolean): WebAnswer {
  return (req, res) => {
    const rawUrl = req.url ?? '/';
    const q = rawUrl.indexOf('?');
    const path = q < 0 ? rawUrl : rawUrl.slice(0, q);
    if (!mayBePage(req, path)) return false;
    const method = req.method ?? 'GET';
    let route: WebRoute | null;
    try {
      route = matchRoute(path);
    } catch (error) {
      if (!prefersHtml(req.headers.accept)) return false;
      return sendError(server, req, res, error).then(() => true);
    }
    const isForm = route?.kind === 'login' || route?.kind === 'logout';
    if (!isForm && !prefersHtml(req.headers.accept)) return false;
    if (route === null && isApiPath(method, path)) return false;
    return answerPage(server, req, res, route, { method, rawUrl, path, query: new URLSearchParams(q < 0 ? '' : rawUrl.slice(q + 1)) });
  };
}

async function answerPage(
  server: ServerContext,
  req: IncomingMessage,
  res: ServerResponse,
  route: WebRoute | null,
  at: { method: string; rawUrl: string; path: string; query: URLSearchParams },
): Promise<true> {
  try {
    if (route === null) throw new HttpError(404, `there is no page at ${at.path}`);
    await answer(server, req, res, route, at.method, at.rawUrl, at.query);
  } catch (error) {
    await sendError(server, req, res, error);
  }
  return true;
}

function matchRoute(path: string): WebRoute | null {
  const segments = splitPath(path);
  const [first, scope, name, docs, ...page] = segments;
  if (first === undefined) return { kind: 'page', handler: listPage, params: {} };
  if (first === 'login' && segments.length === 1) return { kind: 'login' };
  if (first === 'logout' && segments.length === 1) return { kind: 'logout' };
  if (first !== 'packages' || scope === undefined || name === undefined) return null;
  const params = { scope: decodeSegment(scope, 'scope'), name: decodeSegment(name, 'package name') };
  if (docs === undefined) return { kind: 'page', handler: packagePage, params };
  if (docs === 'dependencies' && page.length === 0) return { kind: 'page', handler: dependenciesPage, params };
  if (docs === 'versions' && page.length === 0) return { kind: 'page', handler: versionsPage, params };
  if (docs !== 'docs' || page.length === 0) return null;
  // nested doc pages are named by their folders too (`guide/intro`); one encoded segment works as well
  return { kind: 'page', handler: docPage, params: { ...params, page: page.map((s) => decodeSegment(s, 'doc page')).join('/') } };
}

async function answer(
  server: ServerContext,
  req: IncomingMessage,
  res: ServerResponse,
  route: WebRoute,
  method: string,
  rawUrl: string,
  query: URLSearchParams,
): Promise<void> {
  const isPrivate = server.auth.readNeedsAuth;
  if (route.kind === 'logout') {
    allowMethods(method, ['POST']);
    server.writeGuard.check(req);
    return sendSeeOther(res, '/', { private: isPrivate, headers: { 'set-cookie': clearedTokenCookie(isSecureRequest(req)) } });
  }
  if (route.kind === 'login') {
    allowMethods(method, ['GET', 'HEAD', 'POST']);
    if (method === 'POST') return logIn(server, req, res);
    const next = safeNext(query.get('next'));
    if (!isPrivate) return sendSeeOther(res, next, { private: false });
    return await send(server, req, res, { ...loginPage(next, false), status: 200 }, false);
  }

  allowMethods(method, ['GET', 'HEAD']);
  const auth = await authenticatePage(server.access, req);
  if (!auth.ok) {
    // a cookie that no longer works (token revoked) is dropped, so the form starts afresh
    const hadCookie = readCookie(req, TOKEN_COOKIE) !== null;
    const headers: Record<string, string> = hadCookie ? { 'set-cookie': clearedTokenCookie(isSecureRequest(req)) } : {};
    return await send(server, req, res, loginPage(safeNext(rawUrl), auth.reason === 'invalid'), false, headers);
  }
  const page: PageRequest = { server, req, params: route.params, query, signedIn: auth.signedIn };
  return await send(server, req, res, await route.handler(page), auth.signedIn, {}, auth.signedIn ? auth.user : undefined);
}

/** POST /login: a valid token becomes the cookie and the reader goes back where they were. */
async function logIn(server: ServerContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  // forms post only from these pages: SameSite=Strict already keeps other sites' posts from
  // carrying the cookie; the guard also stops them from signing a browser in or out
  server.writeGuard.check(req);
  const body = await readBody(req, { maxBytes: FORM_BODY_LIMIT, idleTimeoutMs: server.bodyIdleTimeoutMs });
  const form = new URLSearchParams(body.toString('utf8'));
  const next = safeNext(form.get('next'));
  if (!server.auth.readNeedsAuth) return sendSeeOther(res, next, { private: false });
  const token = (form.get('token') ?? '').trim();
  if (token.length > MAX_TOKEN_LENGTH || !(await tokenOpensReads(server.access, token, req.socket.remoteAddress))) {
    return await send(server, req, res, loginPage(next, true), false);
  }
  sendSeeOther(res, next, { private: true, headers: { 'set-cookie': tokenCookie(token, isSecureRequest(req)) } });
}

async function send(
  server: ServerContext,
  req: IncomingMessage,
  res: ServerResponse,
  content: PageContent,
  signedIn: boolean,
  headers: Record<string, string> = {},
  signedInAs?: string,
): Promise<void> {
  const assets = await pageAssets();
  const key = content.cacheKey === undefined ? undefined : `${content.cacheKey}\0${signedIn}\0${signedInAs ?? ''}\0${server.serverName}`;
  let document = key === undefined ? undefined : pageCache.get(key);
  if (document === undefined) {
    const text = renderDocument({ title: content.title, body: content.body, query: content.query, signedIn, signedInAs, serverName: server.serverName }, assets);
    // a page not kept is compressed for this request alone
    document = key === undefined ? CachedBody.fresh(text) : new CachedBody(text, (bytes) => pageCache.grow(key, document!, bytes));
    if (key !== undefined) pageCache.set(key, document, document.text.length + document.bytes.length);
  }
  sendPage(req, res, content.status ?? 200, document, { private: server.auth.readNeedsAuth, headers, csp: assets.csp });
}

async function sendError(server: ServerContext, req: IncomingMessage, res: ServerResponse, error: unknown): Promise<void> {
  const answer = beginErrorAnswer(server, req, res, error);
  if (answer === null) return;
  const suggestions = answer.status === 404 ? similarPackages(server, req.url ?? '/') : [];
  await send(server, req, res, errorPage(answer.status, answer.message, suggestions), false, answer.headers);
}

function allowMethods(method: string, allowed: string[]): void {
  if (!allowed.includes(method)) throw new HttpError(405, `${method} is not allowed here`, { allow: allowed.join(', ') });
}

/**
 * Where to go after signing in: a path on this site, never another site (`//host`, `/\host`).
 * It goes into a Location header, which takes ASCII only: anything else is percent-encoded.
 */
function safeNext(raw: string | null): string {
  if (raw === null || raw.length > MAX_NEXT_LENGTH) return '/';
  if (!raw.startsWith('/') || raw.startsWith('//') || raw.startsWith('/\\') || /[\u0000-\u001f\u007f]/.test(raw)) return '/';
  try {
    return raw.replace(/[^\u0021-\u007e]+/g, (run) => encodeURIComponent(run));
  } catch {
    // a lone surrogate has no UTF-8 form
    return '/';
  }
}
