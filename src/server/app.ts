/**
 * The HTTP request handler: CORS, pages for browsers (web/), routing, authentication, then
 * the route; every API failure becomes `{"error": "..."}` with its status (unexpected ones a
 * logged 500), and every request is logged once when its answer is complete.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Identity } from '../identity.js';
import type { Handler, RequestContext, ServerContext } from './context.js';
import { applyCors } from './cors.js';
import { beginErrorAnswer } from './error-answer.js';
import { HttpError } from './http-error.js';
import { sendError } from './respond.js';
import { Router, type RouteAuth } from './router.js';
import { getArchive, getDoc, getReadme } from './routes/downloads.js';
import { getHealth, getRoot } from './routes/health.js';
import { getPackageVersion, getPackageVersionV0, getPackageVersions, getPackageVersionsV0 } from './routes/packages.js';
import { searchPackages } from './routes/search.js';
import { deprecate, publish, yank } from './routes/write.js';
import { createWebRoutes, type WebAnswer } from './web/web-routes.js';

export type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/** Routes of the official registry (main.rs), plus /health. */
export function buildRouter(): Router<Handler> {
  const router = new Router<Handler>()
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

export function createApp(server: ServerContext): RequestListener {
  const router = buildRouter();
  // browsers get pages; the API's own paths stay the API's for every other client
  const web = createWebRoutes(server, (method, path) => router.match(method, path).kind !== 'not-found');
  return (req, res) => {
    const started = process.hrtime.bigint();
    // 'close' comes for every request, also one whose client went away mid-answer
    res.on('close', () => logRequest(server, req, res, started));
    void handle(server, router, web, req, res);
  };
}

async function handle(server: ServerContext, router: Router<Handler>, web: WebAnswer, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const rawUrl = req.url ?? '/';
  const q = rawUrl.indexOf('?');
  const path = q < 0 ? rawUrl : rawUrl.slice(0, q);
  try {
    if (applyCors(req, res)) return;
    // API requests are answered without waiting on promises they do not need (pages, auth,
    // a package that must be read): each would cost a turn of the microtask queue
    const page = web(req, res);
    if (page !== false && (await page)) return;
    const match = router.match(req.method ?? 'GET', path);
    if (match.kind === 'not-found') throw new HttpError(404, `no route for ${req.method} ${path}`);
    if (match.kind === 'method-not-allowed') {
      throw new HttpError(405, `${req.method} is not allowed here`, { allow: match.allow.join(', ') });
    }
    const checked = authenticate(server, match.route.auth, req);
    const identity = checked instanceof Promise ? await checked : checked;
    const ctx: RequestContext = {
      req,
      res,
      params: match.params,
      query: new URLSearchParams(q < 0 ? '' : rawUrl.slice(q + 1)),
      publisherId: identity?.userId ?? null,
      identity,
      server,
    };
    const done = match.route.handler(ctx);
    if (done !== undefined) await done;
  } catch (error) {
    answerError(server, req, res, error);
  }
}

/** null at once when the route needs no token; a promise when one is checked. */
function authenticate(server: ServerContext, auth: RouteAuth, req: IncomingMessage): Identity | null | Promise<Identity> {
  if (auth === 'none' || (auth === 'read' && !server.access.readNeedsAuth)) return null;
  return checkToken(server, auth, req);
}

async function checkToken(server: ServerContext, auth: 'read' | 'write', req: IncomingMessage): Promise<Identity> {
  const outcome = await server.access.check(auth, req.headers.authorization);
  if (!outcome.ok) throw new HttpError(outcome.status, outcome.message);
  return outcome.identity;
}

function answerError(server: ServerContext, req: IncomingMessage, res: ServerResponse, error: unknown): void {
  const answer = beginErrorAnswer(server, req, res, error);
  if (answer === null) return;
  // a body that failed before its first byte leaves its own headers behind
  for (const header of ['content-encoding', 'content-length', 'content-type', 'location']) res.removeHeader(header);
  sendError(req, res, answer.status, answer.message, answer.headers);
}

/**
 * The body was left unread: answer, then close. Reading on (and discarding) for a moment
 * lets the client receive the answer instead of a reset caused by the unread bytes.
 */
function logRequest(server: ServerContext, req: IncomingMessage, res: ServerResponse, started: bigint): void {
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  server.logger.info('request', {
    method: req.method,
    path: req.url,
    status: res.statusCode,
    ms: Math.round(ms * 10) / 10,
    aborted: res.writableFinished ? undefined : true,
  });
}
