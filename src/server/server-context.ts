/**
 * What the request handler is given, composed from the server's options and its index: the
 * storage, the state loaded from the index's tip, auth, the refresher, the write context.
 * `startServer` listens and hands requests to `createApp` over it; tests build the same
 * context and answer requests in memory (test/helpers/in-memory-http.ts), without a socket.
 */
import { readFileSync } from 'node:fs';
import { errorMessage } from '../errors.js';
import { bareRepoUrl } from '../index-repo/index-address.js';
import { fetchOrigin, tipCommit, type LocalIndex } from '../index-repo/local-index.js';
import type { WriteContext } from '../publish.js';
import { openStorage } from '../storage/storage-options.js';
import type { Storage } from '../storage/storage.js';
import { createAuthenticator, type Authenticator } from './auth.js';
import type { ServerContext } from './context.js';
import { IndexRefresher } from './index-refresher.js';
import { IndexState } from './index-state.js';
import type { Logger } from './logger.js';
import { RateLimiter } from './rate-limit.js';
import type { ServerOptions } from './server-options.js';

export interface ComposedServer {
  context: ServerContext;
  /** not started: the caller decides when the state refreshes on its timer */
  refresher: IndexRefresher;
  initial: IndexState;
  storage: Storage;
  auth: Authenticator;
}

export async function createServerContext(options: ServerOptions, index: LocalIndex, logger: Logger): Promise<ComposedServer> {
  const storage = await openStorage(options.storage);
  await storage.check().catch((error: unknown) => logger.warn(`storage is not usable yet: ${errorMessage(error)}`));
  if (index.remote !== null) {
    await fetchOrigin(index).catch((error: unknown) => logger.warn(`cannot fetch the index, serving the local copy: ${errorMessage(error)}`));
  }
  const initial = await IndexState.load(index.dir, await tipCommit(index), { warn: (m) => logger.warn(m) });
  const auth = createAuthenticator(options.auth, initial.config, { logger, userAgent: `pesde-registry/${packageVersion()}` });
  const activeRefresher = new IndexRefresher({ index, initial, intervalMs: options.refreshIntervalMs, logger });
  const write: WriteContext = {
    index,
    storage,
    ownIndexUrls: [...options.ownIndexUrls, ...(options.index.kind === 'embedded' ? [bareRepoUrl(options.index.bareDir)] : [])],
    committer: options.committer,
  };
  const context: ServerContext = {
    state: () => activeRefresher.state,
    storage,
    auth,
    logger,
    s3Proxy: options.s3Proxy,
    write,
    afterWrite: () => activeRefresher.refresh({ fetch: false }),
    publishLimiter: options.publishRateLimit === null ? null : new RateLimiter(options.publishRateLimit),
    serverName: `pesde-registry/${packageVersion()}`,
    bodyIdleTimeoutMs: options.bodyIdleTimeoutMs,
    health: () => ({
      commit: activeRefresher.state.commit,
      refreshedAt: activeRefresher.refreshedAt.toISOString(),
      refreshError: activeRefresher.lastError,
      storage: storage.kind,
      packages: activeRefresher.state.packages.size,
    }),
  };
  return { context, refresher: activeRefresher, initial, storage, auth };
}

let version: string | undefined;
/** from package.json, so `GET /` and the banner name the version actually running */
export function packageVersion(): string {
  if (version === undefined) {
    const file = new URL('../../package.json', import.meta.url);
    version = (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
  }
  return version;
}
