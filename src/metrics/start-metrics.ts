/**
 * Turning the metrics settings into a running part of the server: loads prom-client (only
 * here, only when metrics are on), decides where /metrics is answered, and starts the
 * second listener of --metrics-address. With neither a token nor an address, a registry
 * whose reads need a token does not serve metrics at all: they would tell anyone which
 * packages exist and how much they are used.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RegistryError } from '../errors.js';
import { tryGit } from '../index-repo/git.js';
import type { Logger } from '../server/logger.js';
import { sendError } from '../server/respond.js';
import { isMetricsPath, serveMetrics, tokenChecker } from './metrics-endpoint.js';
import type { MetricsSettings } from './metrics-settings.js';
import type { MetricsSources } from './registry-metrics.js';
import type { RequestMetrics } from './request-metrics.js';

export interface MetricsRuntime {
  requests: RequestMetrics;
  refreshed(seconds: number, ok: boolean): void;
  /** where /metrics is, for the banner */
  describe: string;
  /** the --metrics-address listener's URL, when there is one */
  url: string | null;
  close(): Promise<void>;
}

export interface MetricsContext {
  readNeedsAuth: boolean;
  indexDir: string;
  state: MetricsSources['state'];
  refreshedAt: MetricsSources['refreshedAt'];
  logger: Logger;
}

let loading: Promise<typeof import('./registry-metrics.js')> | undefined;

/**
 * Starts importing prom-client (some 200 ms of CPU) so it overlaps the index load; called
 * first thing by a server that may serve metrics. A server that then does not serve them
 * has paid only that import, and --no-metrics never calls this.
 */
export function preloadMetrics(settings: MetricsSettings): void {
  if (settings.enabled) loading ??= import('./registry-metrics.js');
}

/** `off` (saying why, for the banner) when /metrics is not served and prom-client stays unloaded. */
export async function startMetrics(settings: MetricsSettings, ctx: MetricsContext): Promise<MetricsRuntime | { off: string }> {
  if (!settings.enabled) return { off: 'metrics: off' };
  if (settings.address === null && settings.token === null && ctx.readNeedsAuth) {
    return { off: 'metrics: not served, as reads need a token: set METRICS_TOKEN or --metrics-address to serve /metrics' };
  }
  const { RegistryMetrics } = await (loading ??= import('./registry-metrics.js'));
  const commitTimes = new Map<string, number | null>();
  const metrics = new RegistryMetrics({
    state: ctx.state,
    refreshedAt: ctx.refreshedAt,
    commitTime: async (commit) => {
      if (!commitTimes.has(commit)) {
        const result = await tryGit(ctx.indexDir, ['show', '-s', '--format=%ct', commit]);
        const time = Number(result.stdout.trim());
        commitTimes.clear();
        commitTimes.set(commit, result.exitCode === 0 && Number.isFinite(time) ? time : null);
      }
      return commitTimes.get(commit) ?? null;
    },
  });
  const allowed = tokenChecker(settings.token);
  const guard = settings.token === null ? 'open' : 'bearer token METRICS_TOKEN';
  let listener: Server | null = null;
  let url: string | null = null;
  if (settings.address !== null) {
    listener = createServer((req, res) => {
      if (isMetricsPath(req.url)) serveMetrics(req, res, metrics, allowed, ctx.logger);
      else sendError(req, res, 404, 'this listener serves only /metrics');
    });
    listener.headersTimeout = 10_000;
    listener.requestTimeout = 30_000;
    url = await listen(listener, settings.address.host, settings.address.port);
  }
  const onPublic = listener === null;
  return {
    requests: {
      answers(req, res) {
        if (!onPublic || !isMetricsPath(req.url)) return false;
        serveMetrics(req, res, metrics, allowed, ctx.logger);
        return true;
      },
      begin: () => metrics.begin(),
      end: (req, res, started) => metrics.end(req, res, started),
      pushAttempts: (attempts) => metrics.pushAttempts(attempts),
    },
    refreshed: (seconds, ok) => metrics.refreshed(seconds, ok),
    describe: onPublic ? `metrics: /metrics on this port (${guard})` : `metrics: ${url}/metrics only (${guard})`,
    url,
    close: () => (listener === null ? Promise.resolve() : new Promise<void>((resolve) => {
      listener.close(() => resolve());
      listener.closeAllConnections();
    })),
  };
}

function listen(server: Server, host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => reject(new RegistryError('usage', `cannot listen for metrics on ${host}:${port}: ${error.code ?? error.message}`)));
    server.listen(port, host, () => {
      const bound = server.address() as AddressInfo;
      resolve(`http://${host.includes(':') ? `[${host}]` : host}:${bound.port}`);
    });
  });
}
