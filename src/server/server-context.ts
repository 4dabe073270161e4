/**
 * What the request handler is given, composed from the server's options and its index: the
 * storage, the state loaded from the index's tip, auth (the official modes, per-user tokens,
 * trusted publishing), metrics, the refresher, the write context. `startServer` listens and
 * hands requests to `createApp` over it; tests build the same context and answer requests in
 * memory (test/helpers/in-memory-http.ts), without a socket.
 */
import { readFileSync } from 'node:fs';
import { errorMessage, RegistryError } from '../errors.js';
import { bareRepoUrl } from '../index-repo/index-address.js';
import { tipCommit, type LocalIndex } from '../index-repo/local-index.js';
import { startMetrics, type MetricsRuntime } from '../metrics/start-metrics.js';
import type { WriteContext } from '../publish.js';
import { openStorage } from '../storage/storage-options.js';
import type { Storage } from '../storage/storage.js';
import { TokenCache } from '../tokens/token-cache.js';
import { TrustCache } from '../trust/trust-cache.js';
import { withTrustedPublishing } from '../trust/trusted-publishing.js';
import { createAccessControl, type AccessControl } from './access-control.js';
import { createAuthenticator, READ_NEEDS_AUTH_WITHOUT_TOKENS, type Authenticator } from './auth.js';
import type { ServerContext } from './context.js';
import { createWriteGuard } from './cross-site.js';
import { IndexRefresher } from './index-refresher.js';
import { IndexState } from './index-state.js';
import type { Logger } from './logger.js';
import { RateLimiter } from './rate-limit.js';
import { SummaryCache, summaryCacheFile } from './summary-cache.js';
import type { ServerOptions } from './server-options.js';

/** with periodic index refreshes off, tokens and trust rules are still re-read this often */
const STORE_REFRESH_FALLBACK_MS = 10_000;

export interface ComposedServer {
  context: ServerContext;
  /** not started: the caller decides when the state refreshes on its timer */
  refresher: IndexRefresher;
  initial: IndexState;
  storage: Storage;
  auth: Authenticator;
  access: AccessControl;
  /** read once; not polling until started */
  tokens: TokenCache;
  trust: TrustCache;
  metrics: MetricsRuntime | undefined;
  /** one banner line saying where metrics are answered, or why not */
  metricsNote: string;
  /** the summary cache being written in the background, when the load did not find everything in it; never rejects */
  cacheWritten: Promise<void>;
  /** stops what this composition started (token and trust polling, the metrics listener) */
  dispose(): Promise<void>;
}

export async function createServerContext(options: ServerOptions, index: LocalIndex, logger: Logger): Promise<ComposedServer> {
  const storage = await openStorage(options.storage);
  await storage.check().catch((error: unknown) => logger.warn(`storage is not usable yet: ${errorMessage(error)}`));
  // the local copy is served at once; the first fetch is the caller's, in the background, so
  // an origin that is slow or down costs no start-up time
  const { state: initial, cacheWritten } = await loadIndex(index, logger);
  const auth = createAuthenticator(options.auth, initial.config, { logger, userAgent: `pesde-registry/${packageVersion()}` });
  const storeIntervalMs = options.refreshIntervalMs > 0 ? options.refreshIntervalMs : STORE_REFRESH_FALLBACK_MS;
  const tokens = new TokenCache({ storage, logger, intervalMs: storeIntervalMs });
  await tokens.refresh();
  // fail closed: reads that need a token nobody can have would be a registry open to no one,
  // or, worse, one that says it is closed while it is not
  if (auth.mode === 'none' && auth.readNeedsAuth && tokens.count === 0) throw new RegistryError('usage', READ_NEEDS_AUTH_WITHOUT_TOKENS);
  const trust = new TrustCache({ storage, logger, intervalMs: storeIntervalMs });
  await trust.refresh();
  const access = withTrustedPublishing(createAccessControl(auth, tokens), trust, options.trustedPublishing, initial.config.api, logger);
  const started = await startMetrics(options.metrics, { readNeedsAuth: auth.readNeedsAuth, indexDir: index.dir, state: () => refresher.state, refreshedAt: () => refresher.refreshedAt, logger });
  const metrics = 'off' in started ? undefined : started;
  const refresher = new IndexRefresher({ index, initial, intervalMs: options.refreshIntervalMs, logger, onRefreshed: metrics?.refreshed });
  const write: WriteContext = {
    index,
    storage,
    ownIndexUrls: [...options.ownIndexUrls, ...(options.index.kind === 'embedded' ? [bareRepoUrl(options.index.bareDir)] : [])],
    committer: options.committer,
  };
  const context: ServerContext = {
    state: () => refresher.state,
    storage,
    auth,
    access,
    tokens,
    logger,
    s3Proxy: options.s3Proxy,
    write,
    afterWrite: () => refresher.refresh({ fetch: false }),
    publishLimiter: options.publishRateLimit === null ? null : new RateLimiter(options.publishRateLimit),
    serverName: `pesde-registry/${packageVersion()}`,
    bodyIdleTimeoutMs: options.bodyIdleTimeoutMs,
    health: () => ({
      status: refresher.lastError === null ? 'ok' : 'degraded',
      commit: refresher.state.commit,
      refreshedAt: refresher.refreshedAt.toISOString(),
      staleSeconds: Math.max(0, Math.round((Date.now() - refresher.refreshedAt.getTime()) / 1000)),
      refreshError: refresher.lastError,
      storage: storage.kind,
      packages: refresher.state.packages.size,
      tokenStoreError: tokens.lastError,
    }),
    writeGuard: createWriteGuard({
      allowedOrigins: options.allowedOrigins,
      allowedHosts: options.allowedHosts,
      api: () => refresher.state.config.api,
      authRequired: auth.mode !== 'none',
    }),
    metrics: metrics?.requests,
  };
  return {
    context,
    refresher,
    initial,
    storage,
    auth,
    access,
    tokens,
    trust,
    metrics,
    metricsNote: 'off' in started ? started.off : started.describe,
    cacheWritten,
    async dispose() {
      // a server stopped soon after it started still leaves its summary cache for the next one
      await Promise.all([tokens.stop(), trust.stop(), metrics?.close(), cacheWritten]);
    },
  };
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

/**
 * The first state, taking what it can from the summary cache in the clone's git folder, and
 * the cache written again in the background when it did not have everything (a promise that
 * never rejects: a cache that cannot be written costs the next start time, nothing more).
 */
async function loadIndex(index: LocalIndex, logger: Logger): Promise<{ state: IndexState; cacheWritten: Promise<void> }> {
  const warn = (message: string) => logger.warn(message);
  // read while the load lists the files
  const reading = index.gitDir === undefined ? undefined : SummaryCache.read(summaryCacheFile(index.gitDir));
  const state = await IndexState.load(index.dir, await tipCommit(index), { warn, ...(reading === undefined ? {} : { summaryCache: reading }) });
  const cache = await reading;
  if (cache?.unusable !== undefined) warn(`the summary cache ${cache.file} was not used: ${cache.unusable}`);
  if (cache === undefined || !cache.changed) return { state, cacheWritten: Promise.resolve() };
  const started = performance.now();
  const cacheWritten = cache.write().then(
    (records) => logger.info(`wrote the summary cache ${cache.file}`, { records, ms: Math.round(performance.now() - started) }),
    (error: unknown) => warn(`cannot write the summary cache ${cache.file}: ${errorMessage(error)}; the next start reads every file`),
  );
  return { state, cacheWritten };
}
