/**
 * Starting and stopping the registry server: prepare the index (a local clone, a clone of
 * INDEX_REPO_URL, or the embedded default), load it into memory, choose auth from the
 * environment, listen, and keep the state fresh. `serve` prints the banner and calls close().
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { RegistryError } from '../errors.js';
import { cloneIndex, isDirectory, openLocalIndex, type LocalIndex } from '../index-repo/local-index.js';
import { originUrl } from '../index-repo/git-queries.js';
import { setGitDeadlines, stopGitWith } from '../index-repo/git-network.js';
import { useGitSpawner } from '../index-repo/git-spawner.js';
import { packageVersion } from '../program-files.js';
import { redact } from '../redact.js';
import { preloadMetrics } from '../metrics/start-metrics.js';
import type { Storage } from '../storage/storage.js';
import type { createApp } from './app.js';
import type { ServerContext } from './context.js';
import type { Authenticator } from './auth.js';
import { ensureEmbeddedIndex } from './embedded-index.js';
import type { IndexRefresher } from './index-refresher.js';
import type { IndexState } from './index-state.js';
import { createLogger, type Logger } from './logger.js';
import { watchEventLoop } from './loop-monitor.js';
import { sendError } from './respond.js';
import { createObservedServer } from './observed-response.js';
import { createServerContext } from './server-context.js';
import { warmUp } from './warm-up.js';
import type { ServerOptions } from './server-options.js';

export interface RunningServer {
  /** base URL, e.g. http://127.0.0.1:8080 */
  url: string;
  /** the state requests are answered from right now */
  readonly state: IndexState;
  /** fetch the origin and advance now (what the timer does) */
  refresh(): Promise<void>;
  /** lines for `serve` to print: where everything is and how to use it */
  banner: string[];
  auth: Authenticator;
  storage: Storage;
  index: LocalIndex;
  http: Server;
  /** the --metrics-address listener, e.g. http://127.0.0.1:9464; null without one */
  metricsUrl: string | null;
  /** stops accepting, lets requests in flight finish (up to a grace period), stops refreshing */
  close(): Promise<void>;
}

const CLOSE_GRACE_MS = 10_000;

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  // started first, while this process is small: its own fork is the last one this process pays for
  useGitSpawner();
  const logger = options.logger ?? createLogger(options.logFormat);
  preloadMetrics(options.metrics);
  // the request handler's modules (routes, web pages, the publish pipeline) are not needed to
  // load the index: they load while it does, in the gaps where the load waits for git
  const app = import('./app.js');
  // awaited once the state is loaded; a start that fails before then must not leave it unhandled
  app.catch(() => undefined);
  let handler: ReturnType<typeof createApp> | undefined;
  const http = createObservedServer((req, res) => {
    if (handler !== undefined) return handler(req, res);
    sendError(req, res, 503, 'the registry is starting', { 'retry-after': '1' });
  });
  http.requestTimeout = options.requestTimeoutMs;
  http.headersTimeout = Math.min(60_000, options.requestTimeoutMs);
  // listen first: with port 0 the embedded index needs the real port for its `api`
  const url = await listen(http, options.address, options.port);

  let refresher: IndexRefresher | undefined;
  let disposeComposed: (() => Promise<void>) | undefined;
  const closing = new AbortController();
  setGitDeadlines(options.gitDeadlines);
  // closing kills the git this server started (a clone runs in the clone's parent folder)
  const indexDir = path.resolve(options.index.dir);
  const releaseGit = stopGitWith([indexDir, path.dirname(indexDir)], closing.signal);
  try {
    const banner: string[] = [`pesde-registry ${packageVersion()} listening on ${url}`];
    const freshClone = options.index.kind === 'clone' && !(await isDirectory(path.join(options.index.dir, '.git')));
    const index = await prepareIndex(options, url, banner);
    // package reads are answered as soon as the handler is there, while the index still loads;
    // the same handler goes on with the loaded state
    const serve = (context: ServerContext) => app.then((loaded) => (handler ??= loaded.createApp(context)));
    const composed = await createServerContext(options, index, logger, { servable: (context) => void serve(context).catch(() => undefined) });
    const { context, refresher: activeRefresher, initial, storage, auth, access, tokens: activeTokens, trust: activeTrust, metrics } = composed;
    disposeComposed = composed.dispose;
    refresher = activeRefresher;
    await serve(context);
    activeRefresher.start();
    if (index.remote !== null && !freshClone) void activeRefresher.refresh();
    activeTokens.start();
    activeTrust.start();
    // background work: it waits while a refresh runs, which a user is waiting for
    void warmUp(initial, logger, closing.signal, { busy: () => activeRefresher.busy, after: composed.cacheWritten });
    watchEventLoop(logger, process.env, closing.signal);

    banner.push(
      `index: ${index.dir} at ${initial.commit.slice(0, 12)} (${initial.packages.size} packages)${index.remote === null ? '' : `, origin ${redact(index.remote)}`}`,
      `storage: ${storage.describe()}${storage.kind === 's3' ? (options.s3Proxy ? ' (archives streamed through)' : ' (archives redirected to pre-signed URLs)') : ''}`,
      `auth: ${access.describe()}${auth.readNeedsAuth ? ', reads need a token' : ''}`,
      options.refreshIntervalMs > 0 ? `refreshing the index every ${options.refreshIntervalMs / 1000}s` : 'periodic index refresh is off',
      composed.metricsNote,
    );
    if (initial.config.api.replace(/\/+$/, '') !== url && options.index.kind !== 'embedded') {
      banner.push(`note: config.toml has api = "${initial.config.api}"; clients will call that address, not ${url}`);
    }

    return {
      url,
      get state() {
        return activeRefresher.state;
      },
      refresh: () => activeRefresher.refresh(),
      banner,
      auth,
      storage,
      index,
      http,
      metricsUrl: metrics?.url ?? null,
      close: async () => {
        closing.abort();
        await Promise.all([closeServer(http, activeRefresher, logger), composed.dispose()]);
        releaseGit();
      },
    };
  } catch (error) {
    closing.abort();
    await Promise.all([closeServer(http, refresher, logger), disposeComposed?.()]);
    releaseGit();
    throw error;
  }
}

async function prepareIndex(options: ServerOptions, url: string, banner: string[]): Promise<LocalIndex> {
  const source = options.index;
  if (source.kind === 'local') return openLocalIndex(source.dir, { requireRemote: false });
  if (source.kind === 'clone') {
    if (!(await isDirectory(path.join(source.dir, '.git')))) {
      await mkdir(path.dirname(source.dir), { recursive: true });
      await cloneIndex(source.url, source.dir);
    } else {
      const origin = await originUrl(source.dir);
      if (origin !== source.url) {
        throw new RegistryError('usage', `${source.dir} is a clone of ${origin || 'no remote'}, not of INDEX_REPO_URL ${source.url}: move it away or use another DATA_DIR`);
      }
    }
    return openLocalIndex(source.dir, { requireRemote: true });
  }
  const embedded = await ensureEmbeddedIndex({ dir: source.dir, bareDir: source.bareDir, api: url, committer: options.committer });
  if (embedded.created) banner.push(`created an index at ${embedded.bareDir} (working clone ${embedded.dir}) and storage at ${options.storage.kind === 'fs' ? options.storage.root : 'S3'}`);
  else banner.push(`using the index at ${embedded.bareDir} (working clone ${embedded.dir})`);
  if (embedded.previousApi !== undefined) banner.push(`its api moved from ${embedded.previousApi || '(none)'} to ${url}`);
  banner.push('point pesde at it in pesde.toml:', '  [indices]', `  default = "${embedded.fileUrl}"`);
  return openLocalIndex(source.dir, { requireRemote: true });
}

function listen(http: Server, address: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const fail = (error: NodeJS.ErrnoException) => {
      reject(new RegistryError('usage', `cannot listen on ${address}:${port}: ${error.code ?? error.message}`));
    };
    http.once('error', fail);
    http.listen(port, address, () => {
      http.off('error', fail);
      const bound = http.address() as AddressInfo;
      resolve(`http://${urlHost(address === '0.0.0.0' || address === '::' ? '127.0.0.1' : address)}:${bound.port}`);
    });
  });
}

function urlHost(address: string): string {
  return address.includes(':') ? `[${address}]` : address;
}

async function closeServer(http: Server, refresher: IndexRefresher | undefined, logger: Logger): Promise<void> {
  const closed = new Promise<void>((resolve) => http.close(() => resolve()));
  http.closeIdleConnections();
  const grace = setTimeout(() => http.closeAllConnections(), CLOSE_GRACE_MS);
  await refresher?.stop();
  await closed;
  clearTimeout(grace);
  // after the last request has been answered: its file reads are done, its log line written
  refresher?.state.close();
  logger.flush?.();
}
