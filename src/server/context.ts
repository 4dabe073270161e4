/**
 * What route handlers are given: the server's long-lived dependencies and the request at
 * hand. Handlers get everything through here, so each route file stays a few small functions.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestMetrics } from '../metrics/request-metrics.js';
import type { WriteContext } from '../publish.js';
import type { Storage } from '../storage/storage.js';
import type { Identity } from '../identity.js';
import type { TokenCache } from '../tokens/token-cache.js';
import type { AccessControl } from './access-control.js';
import type { CachedBody } from './cached-body.js';
import type { Authenticator } from './auth.js';
import type { WriteGuard } from './cross-site.js';
import type { IndexState } from './index-state.js';
import type { Logger } from './logger.js';
import type { RateLimiter } from './rate-limit.js';

export interface ServerContext {
  /** the state to answer from; it changes between requests, never during one */
  state(): IndexState;
  storage: Storage;
  auth: Authenticator;
  /** refuses writes from other sites' pages and, without auth, at unknown host names */
  writeGuard: WriteGuard;
  /** the official modes of `auth` plus per-user tokens: what requests are checked with */
  access: AccessControl;
  tokens: TokenCache;
  logger: Logger;
  /** stream S3 archives through the server instead of redirecting to a pre-signed URL */
  s3Proxy: boolean;
  write: WriteContext;
  /** brings the state up to the commit the server just pushed */
  afterWrite(): Promise<void>;
  publishLimiter: RateLimiter | null;
  /** `pesde-registry/<version>` */
  serverName: string;
  bodyIdleTimeoutMs: number;
  health(): HealthReport;
  /** request counting and timing; absent when metrics are off */
  metrics?: RequestMetrics | undefined;
}

export interface HealthReport {
  /** `ok`, or `degraded` while refreshing from origin fails (the local copy is still served) */
  status: 'ok' | 'degraded';
  commit: string;
  refreshedAt: string;
  /** seconds since the index was last known to be in step with origin */
  staleSeconds: number;
  refreshError: string | null;
  storage: string;
  packages: number;
}

export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  /** raw, still percent-encoded */
  params: Record<string, string>;
  query: URLSearchParams;
  /** set for write routes and for reads when reads need auth */
  publisherId: number | null;
  /** who the request is, when it was authenticated */
  identity: Identity | null;
  server: ServerContext;
}

export type Handler = (ctx: RequestContext) => Promise<void> | void;

/**
 * A route whose answer is a 200 with a JSON body made once (package metadata): it finds the
 * body, app.ts writes it, from headers prepared with the body when no other header is due.
 * The body must depend on nothing but the URL and the served state: app.ts answers the same
 * URL again from its AnswerCache while that state is served.
 */
export interface JsonEndpoint {
  json: (ctx: RequestContext) => CachedBody | Promise<CachedBody>;
}

export type Endpoint = Handler | JsonEndpoint;
