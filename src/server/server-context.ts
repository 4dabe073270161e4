/**
 * What the request handler is given, composed from the server's options and its index: the
 * storage, the state loaded from the index's tip, auth (the official modes, per-user tokens,
 * trusted publishing), metrics, the refresher, the write context. `startServer` listens and
 * hands requests to `createApp` over it; tests build the same context and answer requests in
 * memory (test/helpers/in-memory-http.ts), without a socket.
 */
import { errorMessage, RegistryError } from '../errors.js';
import { bareRepoUrl } from '../index-repo/index-address.js';
import { tipCommit, type LocalIndex } from '../index-repo/local-index.js';
import { startMetrics, type MetricsRuntime } from '../metrics/start-metrics.js';
import type { WriteContext } from '../publish.js';
import { packageVersion } from '../program-files.js';
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

export interface CompositionHooks {
  /**
   * Called once everything a request needs is ready but the index is still loading: the
   * context's state is then IndexState.loading()'s, which answers package reads, and it
   * becomes the loaded state when the load ends (before createServerContext resolves).
   */
  servable?(context: ServerContext): void;
}

export async function createServerContext(options: ServerOptions, index: LocalIndex, logger: Logger, hooks: CompositionHooks = {}): Promise<ComposedServer> {
  const storage = await openStorage(options.storage);
  await storage.check().catch((error: unknown) => logger.warn(`storage is not usable yet: ${errorMessage(error)}`));
  const tip = await tipCommit(index);
  // the local copy is served at once; the first fetch is the caller's, in the background, so
  // an origin that is slow or down costs no start-up time. The full load starts first: it is
  // the long part, and everything up to `servable` runs while it does
  const loaded = loadIndex(index, tip, logger);
  // awaited below; a failure before then must not leave it unhandled
  loaded.catch(() => undefined);
  // a start that fails beside the load waits for it, so no git of it outlives the failure
  const abandonLoad = () =>
    loaded.then(
      ({ state, cacheWritten }) => {
        state.close();
        return cacheWritten;
      },
      () => undefined,
    );
  const early = await IndexState.loading(index.dir, tip, { warn: (message) => logger.warn(message) }).catch(async (error: unknown) => {
    await abandonLoad();
    throw error;
  });
  let refresher: IndexRefresher | undefined;
  let metrics: MetricsRuntime | undefined;
  try {
    const current = (): IndexState => refresher?.state ?? early;
    const refreshedAt = (): Date => refresher?.refreshedAt ?? early.loadedAt;
    const lastError = (): string | null => refresher?.lastError ?? null;
    // the config of the commit being loaded: the loaded state has the same one
    const auth = createAuthenticator(options.auth, early.config, { logger, userAgent: `pesde-registry/${packageVersion()}` });
    const storeIntervalMs = options.refreshIntervalMs > 0 ? options.refreshIntervalMs : STORE_REFRESH_FALLBACK_MS;
    const tokens = new TokenCache({ storage, logger, intervalMs: storeIntervalMs });
    await tokens.refresh();
    // fail closed: reads that need a token nobody can have would be a registry open to no one,
    // or, worse, one that says it is closed while it is not
    if (auth.mode === 'none' && auth.readNeedsAuth && tokens.count === 0) throw new RegistryError('usage', READ_NEEDS_AUTH_WITHOUT_TOKENS);
    const trust = new TrustCache({ storage, logger, intervalMs: storeIntervalMs });
    await trust.refresh();
    const access = withTrustedPublishing(createAccessControl(auth, tokens), trust, options.trustedPublishing, early.config.api, logger);
    const started = await startMetrics(options.metrics, { readNeedsAuth: auth.readNeedsAuth, indexDir: index.dir, state: current, refreshedAt, logger });
    metrics = 'off' in started ? undefined : started;
    const write: WriteContext = {
      index,
      storage,
      ownIndexUrls: [...options.ownIndexUrls, ...(options.index.kind === 'embedded' ? [bareRepoUrl(options.index.bareDir)] : [])],
      committer: options.committer,
    };
    const context: ServerContext = {
      state: current,
      storage,
      auth,
      access,
      tokens,
      logger,
      s3Proxy: options.s3Proxy,
      write,
      // writes answer 503 while the index loads (app.ts), so there is a refresher by then
      afterWrite: () => refresher?.refresh({ fetch: false }) ?? Promise.resolve(),
      publishLimiter: options.publishRateLimit === null ? null : new RateLimiter(options.publishRateLimit),
      serverName: `pesde-registry/${packageVersion()}`,
      bodyIdleTimeoutMs: options.bodyIdleTimeoutMs,
      health: () => ({
        status: lastError() === null ? 'ok' : 'degraded',
        commit: current().commit,
        refreshedAt: refreshedAt().toISOString(),
        staleSeconds: Math.max(0, Math.round((Date.now() - refreshedAt().getTime()) / 1000)),
        refreshError: lastError(),
        storage: storage.kind,
        packages: current().packages.size,
        tokenStoreError: tokens.lastError,
      }),
      writeGuard: createWriteGuard({
        allowedOrigins: options.allowedOrigins,
        allowedHosts: options.allowedHosts,
        api: () => current().config.api,
        authRequired: auth.mode !== 'none',
      }),
      metrics: metrics?.requests,
    };
    hooks.servable?.(context);
    const { state: initial, cacheWritten } = await loaded;
    refresher = new IndexRefresher({ index, initial, intervalMs: options.refreshIntervalMs, logger, onRefreshed: metrics?.refreshed });
    // reads it was asked before now have their answers on the way; none is asked of it after
    early.close();
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
  } catch (error) {
    early.close();
    await metrics?.close();
    await abandonLoad();
    throw error;
  }
}

/**
 * The first state, taking what it can from the summary cache in the clone's git folder, and
 * the cache written again in the background when it did not have everything (a promise that
 * never rejects: a cache that cannot be written costs the next start time, nothing more).
 */
async function loadIndex(index: LocalIndex, commit: string, logger: Logger): Promise<{ state: IndexState; cacheWritten: Promise<void> }> {
  const warn = (message: string) => logger.warn(message);
  // read while the load lists the files
  const reading = index.gitDir === undefined ? undefined : SummaryCache.read(summaryCacheFile(index.gitDir));
  const state = await IndexState.load(index.dir, commit, { warn, ...(reading === undefined ? {} : { summaryCache: reading }) });
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
