/**
 * The HTTP request handler: CORS, pages for browsers (web/), routing, authentication, then
 * the route; every API failure becomes `{"error": "..."}` with its status (unexpected ones a
 * logged 500), and every request is logged once when its answer is complete.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Identity } from '../identity.js';
import { AnswerCache } from './answer-cache.js';
import type { CachedBody } from './cached-body.js';
import type { Endpoint, RequestContext, ServerContext } from './context.js';
import type { IndexState } from './index-state.js';
import { applyCors } from './cors.js';
import { beginErrorAnswer } from './error-answer.js';
import { HttpError } from './http-error.js';
import { markFailure, markRoute, WEB_ROUTE } from '../metrics/request-marks.js';
import { whenClosed, type ClosedHook } from './observed-response.js';
import { NOSNIFF, sendError, sendJson, sendPreparedJson } from './respond.js';
import { Router, type RouteAuth } from './router.js';
import { getArchive, getDoc, getReadme } from './routes/downloads.js';
import { getHealth, getRoot } from './routes/health.js';
import { getPackageVersion, getPackageVersionV0, getPackageVersions, getPackageVersionsV0 } from './routes/packages.js';
import { searchPackages } from './routes/search.js';
import { deprecate, publish, yank } from './routes/write.js';
import { createWebRoutes, mayBePage, type WebAnswer } from './web/web-routes.js';

export type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/** Routes of the official registry (main.rs), plus /health. */
export function buildRouter(): Router<Endpoint> {
  const router = new Router<Endpoint>()
    .add('GET', '/', 'none', getRoot)
    .add('GET', '/health', 'none', getHealth);
  for (const v of ['v0', 'v1']) {
    router
      .add('GET', `/${v}/search`, 'read', searchPackages)
      .add('POST', `/${v}/packages`, 'write', publish);
  }
  return router
    .add('GET', '/v0/packages/{name}', 'read', getPackageVersionsV0)
    .add('GET', '/v0/packages/{name}/{version}/{target}', 'read', getPackageVersionV0)
    .add('GET', '/v1/packages/{name}', 'read', getPackageVersions)
    .add('PUT', '/v1/packages/{name}/deprecate', 'write', deprecate)
    .add('DELETE', '/v1/packages/{name}/deprecate', 'write', deprecate)
    .add('GET', '/v1/packages/{name}/{version}/{target}', 'read', getPackageVersion)
    .add('GET', '/v1/packages/{name}/{version}/{target}/archive', 'read', getArchive)
    .add('GET', '/v1/packages/{name}/{version}/{target}/readme', 'read', getReadme)
    .add('GET', '/v1/packages/{name}/{version}/{target}/doc', 'read', getDoc)
    .add('PUT', '/v1/packages/{name}/{version}/{target}/yank', 'write', yank)
    .add('DELETE', '/v1/packages/{name}/{version}/{target}/yank', 'write', yank);
}

/**
 * What the state served while the index loads can answer (IndexState.loading): a package
 * and its versions, read by path. Search, the package list, pages, health and writes need
 * the loaded state and answer 503, as every request did before the handler was there.
 */
const SERVED_WHILE_LOADING: ReadonlySet<Endpoint> = new Set<Endpoint>([
  getPackageVersionsV0,
  getPackageVersionV0,
  getPackageVersions,
  getPackageVersion,
  getArchive,
  getReadme,
  getDoc,
]);

function starting(): HttpError {
  return new HttpError(503, 'the registry is starting', { 'retry-after': '1' });
}

export function createApp(server: ServerContext): RequestListener {
  const router = buildRouter();
  // browsers get pages; the API's own paths stay the API's for every other client
  const web = createWebRoutes(server, (method, path) => router.match(method, path).kind !== 'not-found');
  const metrics = server.metrics;
  const answers = new AnswerCache<IndexState>();
  // runs for every request, also one whose client went away mid-answer
  const closed: ClosedHook = (res, started) => {
    logRequest(server, res.req, res, started);
    metrics?.end(res.req, res, started);
  };
  return (req, res) => {
    const started = process.hrtime.bigint();
    if (metrics !== undefined && metrics.answers(req, res)) return;
    metrics?.begin(req);
    whenClosed(res, started, closed);
    const line = requestLine(req);
    if (line.plain && answerFromCache(server, answers, req, res, line)) return;
    handle(server, router, web, req, res, line, answers);
  };
}

/**
 * A plain read of a URL answered before under the served state gets that answer again.
 * Only answers that needed no token are ever kept (answerApi decides), so none is needed here.
 */
function answerFromCache(server: ServerContext, answers: AnswerCache<IndexState>, req: IncomingMessage, res: ServerResponse, line: RequestLine): boolean {
  const hit = answers.get(line.rawUrl, server.state());
  if (hit === undefined) return false;
  markRoute(req, hit.route);
  sendPreparedJson(req, res, hit.body);
  return true;
}

/** What is learnt of the request line before routing. */
interface RequestLine {
  method: string;
  rawUrl: string;
  /** where the query starts (its `?`), -1 for none */
  q: number;
  path: string;
  /**
   * a GET or HEAD without Origin from a client not after a page: no CORS header and no page
   * is due, so its headers are still unset when its route answers
   */
  plain: boolean;
}

function requestLine(req: IncomingMessage): RequestLine {
  const rawUrl = req.url ?? '/';
  const q = rawUrl.indexOf('?');
  const path = q < 0 ? rawUrl : rawUrl.slice(0, q);
  const method = req.method ?? 'GET';
  return { method, rawUrl, q, path, plain: (method === 'GET' || method === 'HEAD') && req.headers.origin === undefined && !mayBePage(req, path) };
}

/**
 * Every answer says its type is exactly what it says (nosniff first, so no browser reads a
 * README or archive as a page), then CORS, pages for browsers, and the API. A plain read
 * skips the first three, which would add nothing to it: nosniff then comes with its answer
 * (a JSON body's prepared headers) or just before its route or error answer sets any other.
 *
 * API requests are answered without waiting on promises they do not need (pages, auth, a
 * package that must be read): each would cost a turn of the microtask queue.
 */
function handle(server: ServerContext, router: Router<Endpoint>, web: WebAnswer, req: IncomingMessage, res: ServerResponse, line: RequestLine, answers: AnswerCache<IndexState>): void {
  const failed = (error: unknown) => answerError(server, req, res, error);
  try {
    if (!line.plain) {
      res.setHeader(NOSNIFF[0], NOSNIFF[1]);
      if (applyCors(req, res, (origin) => server.writeGuard.allowsOrigin(origin, req))) return;
      // pages need the loaded state: meanwhile answerApi answers all but the package reads with a 503
      const page = server.state().loading ? false : web(req, res);
      if (page !== false) {
        page.then((answered) => (answered ? markRoute(req, WEB_ROUTE) : answerApi(server, router, req, res, line, answers))).catch(failed);
        return;
      }
    }
    answerApi(server, router, req, res, line, answers)?.catch(failed);
  } catch (error) {
    failed(error);
  }
}

function answerApi(server: ServerContext, router: Router<Endpoint>, req: IncomingMessage, res: ServerResponse, line: RequestLine, answers: AnswerCache<IndexState>): Promise<void> | void {
  // the state the answer is made from, taken before anything is looked up in it
  const state = server.state();
  const match = router.match(line.method, line.path);
  // any path, a page's too, may be answered once the index is loaded
  if (state.loading && (match.kind !== 'found' || !SERVED_WHILE_LOADING.has(match.route.handler))) throw starting();
  if (match.kind === 'not-found') throw new HttpError(404, `no route for ${req.method} ${line.path}`);
  if (match.kind === 'method-not-allowed') {
    throw new HttpError(405, `${req.method} is not allowed here`, { allow: match.allow.join(', ') });
  }
  markRoute(req, match.route.pattern);
  if (match.route.auth === 'write') server.writeGuard.check(req);
  const checked = authenticate(server, match.route.auth, req);
  const route = match.route.pattern;
  // a plain read that needed no token is answered the same way next time, from the cache
  const remember = line.plain && checked === null ? (body: CachedBody) => answers.remember(line.rawUrl, state, { route, body }) : null;
  const answer = (identity: Identity | null) => runEndpoint(match.route.handler, new ApiRequest(req, res, match.params, line, identity, server), line.plain, remember);
  return checked instanceof Promise ? checked.then(answer) : answer(checked);
}

function runEndpoint(endpoint: Endpoint, ctx: ApiRequest, plain: boolean, remember: ((body: CachedBody) => void) | null): Promise<void> | void {
  if (typeof endpoint === 'function') {
    if (plain) ctx.res.setHeader(NOSNIFF[0], NOSNIFF[1]);
    return endpoint(ctx);
  }
  const send = (body: CachedBody) => {
    if (!plain) return sendJson(ctx.req, ctx.res, 200, body);
    remember?.(body);
    sendPreparedJson(ctx.req, ctx.res, body);
  };
  const body = endpoint.json(ctx);
  return body instanceof Promise ? body.then(send) : send(body);
}

/** What a route is given; the query is parsed on first use, as most routes read none. */
class ApiRequest implements RequestContext {
  readonly publisherId: number | null;
  private parsedQuery: URLSearchParams | undefined;

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly params: Record<string, string>,
    private readonly line: RequestLine,
    readonly identity: Identity | null,
    readonly server: ServerContext,
  ) {
    this.publisherId = identity?.userId ?? null;
  }

  get query(): URLSearchParams {
    this.parsedQuery ??= new URLSearchParams(this.line.q < 0 ? '' : this.line.rawUrl.slice(this.line.q + 1));
    return this.parsedQuery;
  }
}

/** null at once when the route needs no token; a promise when one is checked. */
function authenticate(server: ServerContext, auth: RouteAuth, req: IncomingMessage): Identity | null | Promise<Identity> {
  if (auth === 'none' || (auth === 'read' && !server.access.readNeedsAuth)) return null;
  return checkToken(server, auth, req);
}

async function checkToken(server: ServerContext, auth: 'read' | 'write', req: IncomingMessage): Promise<Identity> {
  const outcome = await server.access.check(auth, req.headers.authorization, req.socket.remoteAddress);
  if (!outcome.ok) throw new HttpError(outcome.status, outcome.message);
  return outcome.identity;
}

function answerError(server: ServerContext, req: IncomingMessage, res: ServerResponse, error: unknown): void {
  markFailure(req, error);
  // a plain read may fail before any header is set: its answer starts as every other does
  if (!res.headersSent) res.setHeader(NOSNIFF[0], NOSNIFF[1]);
  const answer = beginErrorAnswer(server, req, res, error);
  if (answer === null) return;
  // a body that failed before its first byte leaves its own headers behind
  for (const header of ['content-encoding', 'content-length', 'content-type', 'location']) res.removeHeader(header);
  sendError(req, res, answer.status, answer.message, answer.headers);
}

/**
 * A request whose client went away before its answer was complete is logged with status
 * 499 (nginx's "client closed request") and `aborted=true`, plus `sent=<status>` when a
 * status line had already gone out (a download cut short): never as the 200 it was not.
 */
function logRequest(server: ServerContext, req: IncomingMessage, res: ServerResponse, started: bigint): void {
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const complete = res.writableFinished;
  server.logger.info('request', {
    method: req.method,
    path: req.url,
    status: complete ? res.statusCode : ABORTED_STATUS,
    ms: Math.round(ms * 10) / 10,
    aborted: complete ? undefined : true,
    sent: complete || !res.headersSent ? undefined : res.statusCode,
  });
}

/** what the request log says for an answer the client did not wait for */
export const ABORTED_STATUS = 499;
