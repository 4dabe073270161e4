/**
 * What route handlers are given: the server's long-lived dependencies and the request at
 * hand. Handlers get everything through here, so each route file stays a few small functions.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { WriteContext } from '../publish.js';
import type { Storage } from '../storage/storage.js';
import type { Identity } from '../identity.js';
import type { TokenCache } from '../tokens/token-cache.js';
import type { AccessControl } from './access-control.js';
import type { Authenticator } from './auth.js';
import type { IndexState } from './index-state.js';
import type { Logger } from './logger.js';
import type { Mutex } from './mutex.js';
import type { RateLimiter } from './rate-limit.js';

export interface ServerContext {
  /** the state to answer from; it changes between requests, never during one */
  state(): IndexState;
  storage: Storage;
  auth: Authenticator;
  /** the official modes of `auth` plus per-user tokens: what requests are checked with */
  access: AccessControl;
  tokens: TokenCache;
  logger: Logger;
  /** stream S3 archives through the server instead of redirecting to a pre-signed URL */
  s3Proxy: boolean;
  write: WriteContext;
  gitLock: Mutex;
  /** brings the state up to the commit the server just pushed */
  afterWrite(): Promise<void>;
  publishLimiter: RateLimiter | null;
  /** `pesde-registry/<version>` */
  serverName: string;
  bodyIdleTimeoutMs: number;
  health(): Record<string, string | number | null>;
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
