/**
 * Servers under test run in their own processes, so they never share an event loop with the
 * load generator: the registry through its real CLI (`bin/pesde-registry.js serve`), and
 * the bare `node:http` baseline (bare-server.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { BENCH_DIR, BIN, OUT_DIR, ROOT } from './paths.js';

export interface ServerProcess {
  url: string;
  pid: number;
  proc: ChildProcess;
  /** from spawn to the first 200 answer */
  readyMs: number;
  /** resident memory right now, from /proc (bytes) */
  rss(): Promise<{ rss: number; peak: number }>;
  /** SIGTERM and wait for the exit, which is when a --cpu-prof profile is written */
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

async function memoryOf(pid: number): Promise<{ rss: number; peak: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN) * 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}

function exited(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => proc.once('exit', () => resolve()));
}

async function stopProcess(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  proc.kill('SIGTERM');
  const done = exited(proc);
  const timeout = sleep(20_000).then(() => 'timeout' as const);
  if ((await Promise.race([done, timeout])) === 'timeout') {
    proc.kill('SIGKILL');
    await done;
  }
}

/** Polls until `url` answers 200, failing early if the process dies. */
async function waitFor200(url: string, proc: ChildProcess, timeoutMs: number, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`${what} exited (${proc.exitCode ?? proc.signalCode}) before answering`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    if (performance.now() > deadline) throw new Error(`${what} did not answer 200 within ${timeoutMs} ms`);
    await sleep(5);
  }
}

export interface RegistryProcess extends ServerProcess {
  /** where its log lines go */
  logFile: string;
  /**
   * Resolves once a line of its log matches: `/warmed up/` is the end of the work a server
   * does in the background after it starts (its summary cache, search index, newest search
   * results), which measurements of a server at work should not share the CPU with.
   */
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** polls `path` until it answers 200; resolves with the ms since spawning */
  answered(path: string, timeoutMs?: number): Promise<number>;
}

export interface RegistryOptions {
  index: string;
  storageRoot: string;
  /** a name for the log file under bench/out/logs */
  label: string;
  /** write a V8 CPU profile into this folder when the server exits */
  cpuProfDir?: string;
  extraArgs?: string[];
  timeoutMs?: number;
  /** polled until it answers 200 (default /health) */
  readyPath?: string;
  /** more environment variables for the server */
  env?: Record<string, string>;
  /** options for node itself, before the script */
  nodeArgs?: string[];
}

/**
 * `pesde-registry serve` on a fixed free port (so readiness can be polled from the moment
 * of spawning), periodic refresh off, its log lines written to a file as a deployment would.
 */
export async function startRegistry(opts: RegistryOptions): Promise<RegistryProcess> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const logDir = path.join(OUT_DIR, 'logs');
  await mkdir(logDir, { recursive: true });
  const logFile = path.join(logDir, `${opts.label}.log`);
  const log = createWriteStream(logFile);
  await new Promise((resolve) => log.once('open', resolve));
  const nodeArgs = [...(opts.nodeArgs ?? []), ...cpuProfArgs(opts.cpuProfDir)];
  const args = [...nodeArgs, BIN, 'serve', '--index', opts.index, '--storage-root', opts.storageRoot, '--address', '127.0.0.1', '--port', String(port), '--refresh-interval', '0', '--publish-rate-limit', 'off', ...(opts.extraArgs ?? [])];
  const started = performance.now();
  const proc = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', log, log], env: { ...process.env, NO_COLOR: '1', CI: 'true', ...opts.env } });
  try {
    await waitFor200(`${url}${opts.readyPath ?? '/health'}`, proc, opts.timeoutMs ?? 120_000, 'pesde-registry serve');
  } catch (error) {
    await stopProcess(proc);
    throw error;
  }
  const readyMs = performance.now() - started;
  return {
    url,
    logFile,
    pid: proc.pid!,
    proc,
    readyMs,
    rss: () => memoryOf(proc.pid!),
    answered: async (readPath, timeoutMs = 120_000) => {
      await waitFor200(`${url}${readPath}`, proc, timeoutMs, 'pesde-registry serve');
      return performance.now() - started;
    },
    waitForLog: async (pattern, timeoutMs = 60_000) => {
      const deadline = performance.now() + timeoutMs;
      while (!pattern.test(await readFile(logFile, 'utf8'))) {
        if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`pesde-registry serve exited before logging ${pattern}`);
        if (performance.now() > deadline) throw new Error(`pesde-registry serve logged nothing like ${pattern} within ${timeoutMs} ms`);
        await sleep(50);
      }
    },
    stop: async () => {
      await stopProcess(proc);
      log.close();
    },
  };
}

export interface BareRoute {
  path: string;
  contentType: string;
  /** served from memory (read once at start) or streamed from disk on every request */
  mode: 'memory' | 'stream';
  file: string;
  /** sent as content-encoding when the file holds an encoded body (a gzip page) */
  contentEncoding?: string;
}

/** node's options that write a V8 CPU profile into `dir` at exit; none without a dir */
export function cpuProfArgs(dir: string | undefined): string[] {
  return dir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${dir}`];
}

/** The baseline: node:http answering the same bytes with nothing else in the way, profiled into `cpuProfDir` when given. */
export async function startBareServer(routes: BareRoute[], label: string, cpuProfDir?: string): Promise<ServerProcess> {
  const routesFile = path.join(OUT_DIR, `${label}-routes.json`);
  await mkdir(OUT_DIR, { recursive: true });
  await writeFile(routesFile, JSON.stringify(routes));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const started = performance.now();
  const proc = spawn(process.execPath, [...cpuProfArgs(cpuProfDir), '--import', 'tsx', path.join(BENCH_DIR, 'lib', 'bare-server.ts'), routesFile, String(port)], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  try {
    await waitFor200(`${url}${routes[0]!.path}`, proc, 30_000, 'bare server');
  } catch (error) {
    await stopProcess(proc);
    throw error;
  }
  return { url, pid: proc.pid!, proc, readyMs: performance.now() - started, rss: () => memoryOf(proc.pid!), stop: () => stopProcess(proc) };
}
