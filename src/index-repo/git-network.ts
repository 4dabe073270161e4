/**
 * What git needs when it talks to a remote, so that a remote can cost only a bounded wait
 * and never receives what is not its own: deadlines (a connect/stall timeout handed to
 * curl and ssh, a total timeout enforced by the runner), credentials from
 * GIT_USERNAME/GIT_PASSWORD offered only to the origin's own protocol and host, no
 * redirects, and a stop signal per clone so shutting down kills the git it started.
 */
import { RegistryError, usageError } from '../errors.js';
import { addSecret, redact } from '../redact.js';

/** The subcommands that talk to a remote; only these are given deadlines and credentials. */
export const NETWORK_SUBCOMMANDS = new Set(['fetch', 'push', 'clone', 'ls-remote', 'pull']);

export interface GitDeadlines {
  /** connecting, and any stretch in which the remote sends nothing */
  connectMs: number;
  /** a whole network command; it is killed (with its process group) after this */
  totalMs: number;
}

export const DEFAULT_GIT_DEADLINES: GitDeadlines = { connectMs: 10_000, totalMs: 120_000 };
/** after SIGTERM, a git that has not cleaned up its lock files by then is killed outright */
export const KILL_GRACE_MS = 1_500;

let configured: GitDeadlines | undefined;

type Env = Readonly<Record<string, string | undefined>>;

/** GIT_CONNECT_TIMEOUT and GIT_TIMEOUT, in seconds; flags of `serve` override them. */
export function gitDeadlinesFromEnv(env: Env, flags: { connect?: string | number | undefined; total?: string | number | undefined } = {}): GitDeadlines {
  const connect = seconds('--git-connect-timeout (GIT_CONNECT_TIMEOUT)', flags.connect ?? nonEmpty(env.GIT_CONNECT_TIMEOUT));
  const total = seconds('--git-timeout (GIT_TIMEOUT)', flags.total ?? nonEmpty(env.GIT_TIMEOUT));
  if (connect !== undefined && total !== undefined && connect > total) {
    throw usageError(`the git connect timeout (${connect / 1000} s) is longer than the total git timeout (${total / 1000} s): raise GIT_TIMEOUT or lower GIT_CONNECT_TIMEOUT`);
  }
  const totalMs = total ?? Math.max(DEFAULT_GIT_DEADLINES.totalMs, connect ?? 0);
  // a short total alone shortens the connect timeout with it
  return { connectMs: connect ?? Math.min(DEFAULT_GIT_DEADLINES.connectMs, totalMs), totalMs };
}

export function setGitDeadlines(deadlines: GitDeadlines): void {
  configured = deadlines;
}

export function gitDeadlines(): GitDeadlines {
  configured ??= gitDeadlinesFromEnv(process.env);
  return configured;
}

function seconds(what: string, value: string | number | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (String(value).trim() === '' || !Number.isFinite(n) || n <= 0) throw usageError(`${what}: "${value}" is not a number of seconds above 0`);
  return Math.max(1, Math.round(n * 1000));
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

// --- stopping ------------------------------------------------------------------------------

const stopSignals = new Map<string, AbortSignal>();

/**
 * Network git started in `dirs` is killed when `signal` aborts, and refused after it has.
 * Keyed by folder so that servers sharing a process (tests) stop only their own git.
 */
export function stopGitWith(dirs: string[], signal: AbortSignal): () => void {
  for (const dir of dirs) stopSignals.set(dir, signal);
  return () => {
    for (const dir of dirs) if (stopSignals.get(dir) === signal) stopSignals.delete(dir);
  };
}

export function stopSignalFor(dir: string): AbortSignal | undefined {
  return stopSignals.get(dir);
}

// --- environment ---------------------------------------------------------------------------

/**
 * The remote's protocol and host as git names them to a credential helper (`host` keeps a
 * port when the URL has one); null for ssh and local remotes, which take no password.
 */
export function credentialScope(url: string): { protocol: string; host: string } | null {
  const match = /^(https?):\/\/(?:[^/@]*@)?([^/?#]+)/i.exec(url);
  if (!match) return null;
  return { protocol: match[1]!.toLowerCase(), host: match[2]!.toLowerCase() };
}

export function isSshUrl(url: string): boolean {
  return /^(ssh|git\+ssh|ssh\+git):\/\//i.test(url) || /^[^/:]+@[^/:]+:/.test(url) || /^[a-z0-9.-]+:(?!\/\/)/i.test(url);
}

/**
 * An inline credential helper: it answers only when git asks for the origin's own protocol
 * and host, so a redirect or a second remote never receives the password, and it reads the
 * credentials from the environment, so they never appear in argv (`ps`) or on disk.
 */
const CREDENTIAL_HELPER =
  '!f() { test "$1" = get || return 0; p=; h=; while IFS= read -r l; do case "$l" in protocol=*) p=${l#protocol=};; host=*) h=${l#host=};; esac; done; ' +
  'test -n "$PESDE_REGISTRY_GIT_HOST" && test "$p" = "$PESDE_REGISTRY_GIT_PROTOCOL" && test "$h" = "$PESDE_REGISTRY_GIT_HOST" || return 0; ' +
  'echo "username=${GIT_USERNAME}"; echo "password=${GIT_PASSWORD}"; }; f';

export interface RemoteFacts {
  /** the URL git will contact, when it could be found */
  url: string | null;
  /** core.sshCommand is configured: leave the user's ssh alone */
  customSsh: boolean;
}

/** Environment for one network command against `remote`. */
export function networkEnv(remote: RemoteFacts, env: Env = process.env): Record<string, string> {
  const { connectMs } = gitDeadlines();
  const stall = String(Math.max(1, Math.round(connectMs / 1000)));
  const out: Record<string, string> = {};
  const config: Array<[string, string]> = [['http.followRedirects', 'false']];
  // curl: a transfer below 1 byte/s for this long is abandoned (also while waiting for an answer)
  if (env.GIT_HTTP_LOW_SPEED_LIMIT === undefined) out.GIT_HTTP_LOW_SPEED_LIMIT = '1';
  if (env.GIT_HTTP_LOW_SPEED_TIME === undefined) out.GIT_HTTP_LOW_SPEED_TIME = stall;
  if (env.GIT_SSH_COMMAND === undefined && env.GIT_SSH === undefined && !remote.customSsh) {
    out.GIT_SSH_COMMAND = `ssh -o BatchMode=yes -o ConnectTimeout=${stall} -o ServerAliveInterval=${stall} -o ServerAliveCountMax=1`;
  }
  if (env.GIT_USERNAME !== undefined || env.GIT_PASSWORD !== undefined) {
    addSecret(env.GIT_PASSWORD);
    const scope = remote.url === null ? null : credentialScope(remote.url);
    config.push(['credential.helper', CREDENTIAL_HELPER]);
    out.PESDE_REGISTRY_GIT_PROTOCOL = scope?.protocol ?? '';
    out.PESDE_REGISTRY_GIT_HOST = scope?.host ?? '';
  }
  const base = Number(env.GIT_CONFIG_COUNT ?? '0') || 0;
  config.forEach(([key, value], i) => {
    out[`GIT_CONFIG_KEY_${base + i}`] = key;
    out[`GIT_CONFIG_VALUE_${base + i}`] = value;
  });
  out.GIT_CONFIG_COUNT = String(base + config.length);
  return out;
}

// --- failures ------------------------------------------------------------------------------

/**
 * A remote that just failed to answer is not asked again for one connect timeout: writes
 * queued behind a failed fetch then fail at once instead of each waiting out its own
 * deadline, while the next periodic refresh (or a retry a moment later) tries again.
 */
const unreachable = new Map<string, { until: number; reason: string }>();

/** Why the remote is not asked now, or null when it may be. */
export function recentlyUnreachable(url: string | null, now = Date.now()): string | null {
  if (url === null) return null;
  const entry = unreachable.get(url);
  if (entry === undefined) return null;
  if (entry.until > now) return `${entry.reason} (not asked again for ${Math.ceil((entry.until - now) / 1000)} s)`;
  unreachable.delete(url);
  return null;
}

export function markUnreachable(url: string | null, reason: string, now = Date.now()): void {
  if (url === null) return;
  if (unreachable.size > 1000) unreachable.clear();
  unreachable.set(url, { until: now + gitDeadlines().connectMs, reason });
}

export function markReachable(url: string | null): void {
  if (url !== null) unreachable.delete(url);
}

/** What curl, ssh and git say when the remote could not be reached or stopped answering. */
const UNREACHABLE =
  /could not resolve host|could not resolve hostname|failed to connect|connection refused|connection timed out|operation timed out|timeout was reached|operation too slow|network is unreachable|no route to host|connection reset|empty reply from server|recv failure|connection closed by remote host/i;

export function isUnreachable(stderr: string): boolean {
  return UNREACHABLE.test(stderr);
}

const ACTIONS: Record<string, string> = {
  fetch: 'fetch the index from',
  pull: 'fetch the index from',
  push: 'push the index to',
  clone: 'clone the index from',
  'ls-remote': 'reach the index at',
};

/** 503 over HTTP, exit 9 from the CLI; the message names the remote without its credentials. */
export function unavailable(subcommand: string, url: string | null, reason: string): RegistryError {
  const action = ACTIONS[subcommand] ?? 'reach';
  if (url === null) return new RegistryError('remote_unavailable', redact(`cannot ${action.replace(/ (from|to|at)$/, '')}: ${reason}`));
  const remote = redact(url);
  return new RegistryError('remote_unavailable', redact(`cannot ${action} ${remote}: ${reason}`), { details: { remote } });
}
