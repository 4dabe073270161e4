/**
 * The per-request series (count by route, method and status; latency histogram by route
 * and method; bytes by route), accumulated in plain numbers and handed to prom-client's
 * registry only when scraped. prom-client's own labelled metrics hash their label set on
 * every call, which measured 2-4 µs per increment here: several of them on each request
 * would be a noticeable share of a metadata answer. Recording here is a few map lookups and
 * additions; the text format is still prom-client's (these objects are registered in its
 * registry like its own metrics).
 */
export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

interface Latency {
  route: string;
  method: string;
  /** counts per bucket, not cumulative; the last one is +Inf */
  buckets: number[];
  sum: number;
  count: number;
}

interface Answered {
  route: string;
  method: string;
  status: string;
  count: number;
  bytes: number;
  latency: Latency;
}

interface MetricValue {
  metricName?: string;
  labels: Record<string, string>;
  value: number;
}

/** What prom-client's Registry asks of a metric it renders. */
export interface ScrapedMetric {
  name: string;
  help: string;
  type: 'counter' | 'histogram';
  get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: MetricValue[] }>;
  reset(): void;
}

export class RequestSeries {
  /** route -> (status * 16 + method index) -> series */
  private readonly answered = new Map<string, Map<number, Answered>>();
  private readonly latencies = new Map<string, Latency>();

  record(route: string, method: string, methodIndex: number, status: number, seconds: number, bytes: number): void {
    let byStatus = this.answered.get(route);
    if (byStatus === undefined) this.answered.set(route, (byStatus = new Map()));
    const slot = status * 16 + methodIndex;
    let series = byStatus.get(slot);
    if (series === undefined) {
      series = { route, method, status: String(status), count: 0, bytes: 0, latency: this.latencyOf(route, method) };
      byStatus.set(slot, series);
    }
    series.count++;
    series.bytes += bytes;
    const latency = series.latency;
    let bucket = 0;
    while (bucket < LATENCY_BUCKETS.length && seconds > LATENCY_BUCKETS[bucket]!) bucket++;
    latency.buckets[bucket]!++;
    latency.sum += seconds;
    latency.count++;
  }

  /** The three metrics to register: requests, latency, bytes. */
  metrics(names: { requests: string; duration: string; bytes: string }): ScrapedMetric[] {
    return [
      this.metric(names.requests, 'HTTP requests answered, by route pattern, method and status', 'counter', () =>
        this.all().map((s) => ({ labels: { route: s.route, method: s.method, status: s.status }, value: s.count })),
      ),
      this.metric(names.duration, 'Time from a request arriving to its answer being complete, by route pattern and method', 'histogram', () => {
        const values: MetricValue[] = [];
        for (const l of this.latencies.values()) {
          let cumulative = 0;
          LATENCY_BUCKETS.forEach((le, i) => {
            cumulative += l.buckets[i]!;
            values.push({ metricName: `${names.duration}_bucket`, labels: { le: String(le), route: l.route, method: l.method }, value: cumulative });
          });
          values.push({ metricName: `${names.duration}_bucket`, labels: { le: '+Inf', route: l.route, method: l.method }, value: l.count });
          values.push({ metricName: `${names.duration}_sum`, labels: { route: l.route, method: l.method }, value: l.sum });
          values.push({ metricName: `${names.duration}_count`, labels: { route: l.route, method: l.method }, value: l.count });
        }
        return values;
      }),
      this.metric(names.bytes, 'Bytes sent in answers (headers included), by route pattern', 'counter', () => {
        const byRoute = new Map<string, number>();
        for (const s of this.all()) byRoute.set(s.route, (byRoute.get(s.route) ?? 0) + s.bytes);
        return [...byRoute].map(([route, value]) => ({ labels: { route }, value }));
      }),
    ];
  }

  private latencyOf(route: string, method: string): Latency {
    const key = `${method} ${route}`;
    let latency = this.latencies.get(key);
    if (latency === undefined) {
      latency = { route, method, buckets: new Array<number>(LATENCY_BUCKETS.length + 1).fill(0), sum: 0, count: 0 };
      this.latencies.set(key, latency);
    }
    return latency;
  }

  private all(): Answered[] {
    const all: Answered[] = [];
    for (const byStatus of this.answered.values()) all.push(...byStatus.values());
    return all;
  }

  private metric(name: string, help: string, type: 'counter' | 'histogram', values: () => MetricValue[]): ScrapedMetric {
    return {
      name,
      help,
      type,
      get: () => Promise.resolve({ name, help, type, aggregator: 'sum', values: values() }),
      reset: () => undefined,
    };
  }
}
