import path from 'node:path';
import { RegistryError } from '../errors.js';
import { redact } from '../redact.js';
import { spawnGit } from './git-spawner.js';
import {
  gitDeadlines,
  isSshUrl,
  isUnreachable,
  KILL_GRACE_MS,
  markReachable,
  markUnreachable,
  NETWORK_SUBCOMMANDS,
  networkEnv,
  recentlyUnreachable,
  stopSignalFor,
  unavailable,
  type RemoteFacts,
} from './git-network.js';

export interface GitResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface GitRunOptions {
  input?: string | Buffer;
  env?: Record<string, string>;
  /** for a network command on `origin`: its URL and ssh setting, when the caller already knows them (repo-facts.ts) */
  remote?: RemoteFacts | undefined;
}

/**
 * The environment every git call runs with: never prompt (a server or CI job would hang
 * on a credential prompt), and plain C messages, which callers match on.
 */
export function gitEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    GIT_TERMINAL_PROMPT: '0',
    GIT_ASKPASS: '',
    SSH_ASKPASS: '',
    LC_ALL: 'C',
    ...extra,
  };
}

/**
 * Runs git and returns what it did. A command that talks to a remote (fetch, push, clone,
 * ls-remote) runs under deadlines: when the remote does not answer in time, cannot be
 * reached, or the clone's server is stopping, git is killed and this throws a
 * `remote_unavailable` RegistryError instead of returning.
 */
export async function tryGit(dir: string, args: string[], opts: GitRunOptions = {}): Promise<GitResult> {
  const subcommand = args[0] ?? '';
  if (!NETWORK_SUBCOMMANDS.has(subcommand)) return run(dir, args, { ...process.env, ...gitEnv(opts.env) }, opts.input, null);
  const cwd = path.resolve(dir);
  const signal = stopSignalFor(cwd);
  const remote = opts.remote ?? (await remoteFacts(cwd, args));
  if (signal?.aborted) throw unavailable(subcommand, remote.url, 'stopped: the server is shutting down');
  const recent = recentlyUnreachable(remote.url);
  if (recent !== null) throw unavailable(subcommand, remote.url, recent);
  const env = { ...process.env, ...gitEnv({ ...networkEnv(remote), ...opts.env }) };
  const { totalMs } = gitDeadlines();
  const result = await run(dir, args, env, opts.input, { totalMs, signal });
  if (result.stopped === 'aborted') throw unavailable(subcommand, remote.url, 'stopped: the server is shutting down');
  if (result.stopped === 'timeout' || (result.exitCode !== 0 && isUnreachable(result.stderr))) {
    const reason = result.stopped === 'timeout' ? `no answer within ${totalMs / 1000} s (GIT_TIMEOUT)` : redact(firstLine(result.stderr));
    markUnreachable(remote.url, reason);
    throw unavailable(subcommand, remote.url, reason);
  }
  markReachable(remote.url);
  return result;
}

interface Deadline {
  totalMs: number;
  signal: AbortSignal | undefined;
}

function run(dir: string, args: string[], env: NodeJS.ProcessEnv, input: string | Buffer | undefined, deadline: Deadline | null): Promise<GitResult & { stopped?: 'timeout' | 'aborted' }> {
  return new Promise((resolve) => {
    // Under a server (a stop signal is registered) git gets its own process group, so that
    // killing it also kills git-remote-http, ssh and the like, which outlive a killed git.
    // A CLI run keeps git in its own group, so that Ctrl-C or a killed job takes git along;
    // there, a helper left by a timed-out git ends at its own stall timeout.
    const group = deadline?.signal !== undefined;
    const child = spawnGit(dir, args, { env, detached: group });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let stopped: 'timeout' | 'aborted' | undefined;
    let timer: NodeJS.Timeout | undefined;
    let killer: NodeJS.Timeout | undefined;
    // a spawner's git has no pid until it has started: a stop before then is sent on 'spawn'
    let pid: number | undefined;
    const signalGit = (signal: NodeJS.Signals) => {
      if (pid !== undefined) signalProcess(group ? -pid : pid, signal);
    };
    const stop = (why: 'timeout' | 'aborted') => {
      if (stopped !== undefined) return;
      stopped = why;
      // SIGTERM first: git removes its lock files on it; a git that lingers is killed
      signalGit('SIGTERM');
      killer = setTimeout(() => signalGit('SIGKILL'), KILL_GRACE_MS);
    };
    const onAbort = () => stop('aborted');
    child.once('spawn', () => {
      pid = child.pid;
      if (pid === undefined) return;
      if (group) {
        liveGroups.add(pid);
        installExitHook();
      }
      if (stopped !== undefined) signalGit('SIGTERM');
    });
    if (deadline !== null) {
      timer = setTimeout(() => stop('timeout'), deadline.totalMs);
      deadline.signal?.addEventListener('abort', onAbort, { once: true });
    }
    const finish = (result: GitResult) => {
      if (pid !== undefined) liveGroups.delete(pid);
      clearTimeout(timer);
      clearTimeout(killer);
      deadline?.signal?.removeEventListener('abort', onAbort);
      resolve(stopped === undefined ? result : { ...result, stopped });
    };
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    // git may exit before reading all of its input (e.g. on a bad argument); its exit code says why
    child.stdin.on('error', () => undefined);
    child.on('error', (error: Error) => finish({ exitCode: 127, stdout: '', stderr: `cannot run git: ${error.message}` }));
    child.on('close', (code: number | null) => {
      finish({ exitCode: code ?? 1, stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') });
    });
    child.stdin.end(input ?? '');
  });
}

/** Process groups of network git still running: a process that exits takes them along. */
const liveGroups = new Set<number>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // a detached group would outlive us, still waiting on the remote
  process.once('exit', () => {
    for (const pid of liveGroups) signalProcess(-pid, 'SIGKILL');
  });
}

/** `pid`, or with a negative number the process group. */
function signalProcess(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/** The URL a network command will contact (clone names it; fetch and push name a remote). */
async function remoteFacts(cwd: string, args: string[]): Promise<RemoteFacts> {
  const subcommand = args[0];
  const operand = args.slice(1).find((a) => !a.startsWith('-'));
  let url: string | null = operand ?? null;
  if (subcommand !== 'clone' && operand !== undefined && !/[:/\\]/.test(operand)) {
    const got = await run(cwd, ['remote', 'get-url', ...(subcommand === 'push' ? ['--push'] : []), operand], { ...process.env, ...gitEnv() }, undefined, null);
    url = got.exitCode === 0 ? got.stdout.trim() : null;
  }
  let customSsh = false;
  if (url !== null && isSshUrl(url)) {
    const configured = await run(cwd, ['config', '--get', 'core.sshCommand'], { ...process.env, ...gitEnv() }, undefined, null);
    customSsh = configured.exitCode === 0 && configured.stdout.trim() !== '';
  }
  return { url, customSsh };
}

/** The one-line error of a git command that failed: its first line of stderr, else its exit code. */
export function gitFailure(dir: string, subcommand: string | undefined, stderr: string, exitCode: number | null): RegistryError {
  return new RegistryError('git', redact(`git ${subcommand} failed in ${dir}: ${firstLine(stderr) || `exit code ${String(exitCode)}`}`));
}

/** Runs git and returns its stdout with the final newline removed; failures become one-line git errors. */
export async function git(dir: string, args: string[], opts: GitRunOptions = {}): Promise<string> {
  const result = await tryGit(dir, args, opts);
  if (result.exitCode !== 0) {
    throw gitFailure(dir, args[0], result.stderr, result.exitCode);
  }
  return result.stdout.replace(/\n$/, '');
}

export function firstLine(text: string): string {
  const line = text
    .split('\n')
    .map((l) => l.trim())
    .find((l) => l.length > 0 && !l.startsWith('hint:'));
  return line ?? '';
}
