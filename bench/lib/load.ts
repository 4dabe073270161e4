/**
 * Load generation with autocannon (in this process; the servers under test run in their
 * own), always on 127.0.0.1 and always bounded by a duration.
 */
import { createRequire } from 'node:module';
import { processCpu } from './proc-cpu.js';

/** The part of autocannon's result these benchmarks read. */
interface AutocannonHistogram {
  average: number;
  p50: number;
  p99: number;
  max: number;
}

interface AutocannonResult {
  requests: AutocannonHistogram & { total: number };
  latency: AutocannonHistogram;
  throughput: AutocannonHistogram & { total: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  duration: number;
}

interface AutocannonOptions {
  url: string;
  connections: number;
  duration: number;
  pipelining?: number;
  requests?: Array<{ method: string; path: string }>;
  headers?: Record<string, string>;
  timeout?: number;
}

type Autocannon = (opts: AutocannonOptions, done: (error: Error | null, result: AutocannonResult) => void) => unknown;

const require = createRequire(import.meta.url);
// autocannon is CommonJS without type declarations; only this typed entry point is used
const autocannon = require('autocannon') as Autocannon;

/**
 * autocannon appends every response body chunk to a string (for its expectBody and
 * verifyBody checks, which these benchmarks do not use). For a 1 MB archive that utf-8
 * decoding caps the client at about 65 MB/s on this machine, so it would measure itself
 * rather than the server; dropping the bodies lifts it past 900 MB/s. Bytes are still
 * counted (throughput comes from the socket's byte count, not from the body string).
 */
function discardResponseBodies(): void {
  try {
    const queue = require('autocannon/lib/pipelinedRequestsQueue.js') as { prototype: { addBody?: unknown } };
    if (typeof queue.prototype.addBody !== 'function') throw new Error('addBody is gone');
    queue.prototype.addBody = () => undefined;
  } catch (error) {
    console.warn(`autocannon keeps response bodies (${(error as Error).message}): large downloads will be client-bound`);
  }
}
discardResponseBodies();

export interface LoadOptions {
  url: string;
  /** cycled through by every connection */
  paths: string[];
  connections: number;
  durationS: number;
  headers?: Record<string, string>;
}

export interface LoadResult {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** response bytes per second */
  bytesPerSec: number;
  requests: number;
  errors: number;
  non2xx: number;
}

export function runLoad(opts: LoadOptions): Promise<LoadResult> {
  const url = new URL(opts.url);
  if (url.hostname !== '127.0.0.1') throw new Error(`load is only generated against 127.0.0.1, not ${url.hostname}`);
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: opts.url,
        connections: opts.connections,
        duration: opts.durationS,
        requests: opts.paths.map((path) => ({ method: 'GET', path })),
        ...(opts.headers === undefined ? {} : { headers: opts.headers }),
        timeout: 30,
      },
      (error, result) => {
        if (error !== null) return reject(error);
        resolve({
          rps: result.requests.total / result.duration,
          p50Ms: result.latency.p50,
          p99Ms: result.latency.p99,
          bytesPerSec: result.throughput.total / result.duration,
          requests: result.requests.total,
          errors: result.errors + result.timeouts,
          non2xx: result.non2xx,
        });
      },
    );
  });
}

export interface Contender<T> {
  name: T;
  url: string;
  /** the server's process: given, each round also says what CPU the server spent per answer */
  pid?: number;
}

/** A round under load, with the server's own CPU per answer when its pid was given. */
export interface RoundResult extends LoadResult {
  /**
   * microseconds on a CPU per answered request, all the server's threads (JavaScript, GC,
   * libuv): what a request costs the server, whatever the load generator beside it got
   */
  cpuUsPerRequest?: number;
}

/** CPU time of all the process's threads so far. */
async function serverCpuMs(pid: number): Promise<number> {
  const cpu = await processCpu(pid);
  return cpu.main.runMs + cpu.helpers.runMs;
}

/**
 * Alternates the contenders round by round (A B A B ...), so a burst of load from something
 * else on the machine falls on both rather than on one, and keeps each contender's best round.
 */
export async function compareLoad<T extends string>(
  contenders: ReadonlyArray<Contender<T>>,
  load: Omit<LoadOptions, 'url'>,
  rounds: number,
  warmupS = 2,
): Promise<Map<T, { best: RoundResult; all: RoundResult[] }>> {
  const out = new Map<T, { best: RoundResult; all: RoundResult[] }>();
  for (const c of contenders) await runLoad({ ...load, url: c.url, durationS: warmupS });
  for (let round = 0; round < rounds; round++) {
    for (const c of round % 2 === 0 ? contenders : [...contenders].reverse()) {
      const before = c.pid === undefined ? undefined : await serverCpuMs(c.pid);
      const result: RoundResult = await runLoad({ ...load, url: c.url });
      if (c.pid !== undefined && before !== undefined) result.cpuUsPerRequest = ((await serverCpuMs(c.pid)) - before) * 1000 / result.requests;
      if (result.errors > 0 || result.non2xx > 0) {
        throw new Error(`${c.name}: ${result.errors} errors and ${result.non2xx} non-2xx answers under load`);
      }
      const entry = out.get(c.name) ?? { best: result, all: [] };
      entry.all.push(result);
      if (result.rps > entry.best.rps) entry.best = result;
      out.set(c.name, entry);
    }
  }
  return out;
}
