/**
 * Every metric the server exports, on a registry of its own (so several servers in one
 * process, as in the tests, never share counters), with prom-client's default process
 * metrics (CPU, memory, event-loop delay). Loaded only when metrics are enabled.
 *
 * Labels are bounded: routes are the router's patterns (not raw paths), methods a fixed
 * list, statuses what HTTP allows, and archive downloads are labelled only by names of
 * packages the index holds.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { IndexState } from '../server/index-state.js';
import { failureOf, routeOf } from './request-marks.js';
import { RequestSeries } from './request-series.js';
import type { RequestMetrics } from './request-metrics.js';

export interface MetricsSources {
  state(): IndexState;
  /** when the index was last refreshed without error */
  refreshedAt(): Date;
  /** the commit time of `commit` in seconds since the epoch, null when unknown */
  commitTime(commit: string): Promise<number | null>;
}

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH'];
const ARCHIVE_ROUTE = '/v1/packages/{name}/{version}/{target}/archive';
const WRITE_OPERATIONS: Record<string, Record<string, string>> = {
  '/v0/packages': { POST: 'publish' },
  '/v1/packages': { POST: 'publish' },
  '/v1/packages/{name}/{version}/{target}/yank': { PUT: 'yank', DELETE: 'unyank' },
  '/v1/packages/{name}/deprecate': { PUT: 'deprecate', DELETE: 'undeprecate' },
};
const BYTES_SEEN = Symbol('pesde.bytesSeen');

export class RegistryMetrics implements Omit<RequestMetrics, 'answers'> {
  readonly registry = new Registry();
  private readonly series = new RequestSeries();
  /** a plain number read at scrape time: a prom-client gauge costs more per change */
  private inFlight = 0;
  private readonly writes: Counter<'operation' | 'result'>;
  private readonly attempts: Histogram;
  private readonly refreshDuration: Histogram<'result'>;
  private readonly downloads: Counter<'package'>;

  constructor(private readonly sources: MetricsSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    for (const metric of this.series.metrics({ requests: 'pesde_registry_http_requests_total', duration: 'pesde_registry_http_request_duration_seconds', bytes: 'pesde_registry_http_response_bytes_total' })) {
      this.registry.registerMetric(metric as never);
    }
    const self = this;
    new Gauge({ name: 'pesde_registry_http_requests_in_flight', help: 'Requests being answered right now', registers, collect() { this.set(self.inFlight); } });
    this.writes = new Counter({ name: 'pesde_registry_writes_total', help: 'Publishes, yanks and deprecations over HTTP, by operation and result', labelNames: ['operation', 'result'], registers });
    this.attempts = new Histogram({ name: 'pesde_registry_push_attempts', help: 'Pushes a write needed before one landed (more than 1: it raced another writer)', buckets: [1, 2, 3, 5, 8], registers });
    this.refreshDuration = new Histogram({ name: 'pesde_registry_index_refresh_duration_seconds', help: 'Time an index refresh (fetch and advance) took, by result', labelNames: ['result'], buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers });
    this.downloads = new Counter({ name: 'pesde_registry_archive_downloads_total', help: 'Archive downloads answered by this replica, by package', labelNames: ['package'], registers });
    new Gauge({
      name: 'pesde_registry_index_last_refresh_timestamp_seconds',
      help: 'When the index was last refreshed without error (seconds since the epoch)',
      registers,
      collect() {
        this.set(sources.refreshedAt().getTime() / 1000);
      },
    });
    new Gauge({
      name: 'pesde_registry_index_commit_age_seconds',
      help: 'Age of the served index commit (now minus its commit time)',
      registers,
      async collect() {
        const time = await sources.commitTime(sources.state().commit);
        if (time !== null) this.set(Math.max(0, Date.now() / 1000 - time));
      },
    });
    new Gauge({ name: 'pesde_registry_index_packages', help: 'Packages in the served index', registers, collect() { this.set(sources.state().packages.size); } });
    new Gauge({
      name: 'pesde_registry_index_versions',
      help: 'Entries (version and target, yanked included) in the served index',
      registers,
      collect() {
        let n = 0;
        for (const summary of sources.state().packages.values()) n += summary.versions;
        this.set(n);
      },
    });
    const cacheCounter = (name: string, help: string, pick: (s: { hits: number; misses: number }) => number) => {
      let reported = 0;
      new Counter({
        name,
        help,
        registers,
        collect() {
          const now = pick(sources.state().cacheStats());
          // the cache lives as long as the server, so its counts only grow
          if (now > reported) this.inc(now - reported);
          reported = Math.max(reported, now);
        },
      });
    };
    cacheCounter('pesde_registry_package_cache_hits_total', 'Package cache lookups answered from memory', (s) => s.hits);
    cacheCounter('pesde_registry_package_cache_misses_total', 'Package cache lookups that had to read and parse the file', (s) => s.misses);
    new Gauge({ name: 'pesde_registry_package_cache_bytes', help: 'Estimated memory held by the package cache', registers, collect() { this.set(sources.state().cacheStats().bytes); } });
  }

  begin(): void {
    this.inFlight++;
  }

  end(req: IncomingMessage, res: ServerResponse, started: bigint): void {
    this.inFlight--;
    const route = routeOf(req);
    const status = res.statusCode;
    const methodIndex = METHODS.indexOf(req.method ?? '');
    const method = methodIndex < 0 ? 'other' : METHODS[methodIndex]!;
    this.series.record(route, method, methodIndex + 1, status, Number(process.hrtime.bigint() - started) / 1e9, bytesSince(req.socket));

    const operation = WRITE_OPERATIONS[route]?.[method];
    if (operation !== undefined) this.writes.labels(operation, writeResult(status, failureOf(req))).inc();
    else if (route === ARCHIVE_ROUTE && status < 400) this.countDownload(req);
  }

  pushAttempts(attempts: number): void {
    if (attempts > 0) this.attempts.observe(attempts);
  }

  refreshed(seconds: number, ok: boolean): void {
    this.refreshDuration.labels(ok ? 'ok' : 'failed').observe(seconds);
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private countDownload(req: IncomingMessage): void {
    const segment = (req.url ?? '').split('/')[3] ?? '';
    let name: string;
    try {
      name = decodeURIComponent(segment);
    } catch {
      return;
    }
    // only names the index holds: a label per made-up name would grow without bound (while the
    // index loads there is no list, but an archive answered below 400 was found in the index)
    const state = this.sources.state();
    if (state.loading || state.packages.has(name)) this.downloads.labels(name).inc();
  }
}

/** ok, conflict, invalid, forbidden, rate_limited, storage_error, git_error or error */
function writeResult(status: number, kind: string | undefined): string {
  if (status < 400) return 'ok';
  if (kind === 'storage') return 'storage_error';
  if (kind === 'git') return 'git_error';
  if (status === 409) return 'conflict';
  if (status === 401 || status === 403) return 'forbidden';
  if (status === 429) return 'rate_limited';
  if (status === 400 || status === 404 || status === 413 || status === 415) return 'invalid';
  return 'error';
}

/** Bytes written on the socket since the last request on it ended (connections are reused). */
function bytesSince(socket: Socket | null): number {
  if (socket === null) return 0;
  const marked = socket as Socket & { [BYTES_SEEN]?: number };
  const total = socket.bytesWritten;
  const sent = total - (marked[BYTES_SEEN] ?? 0);
  marked[BYTES_SEEN] = total;
  return sent;
}
