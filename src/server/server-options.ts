/**
 * Everything `serve` needs, from flags and the environment variables the official
 * registry reads (protocol section 8); flags win. Resolving is pure: nothing is created
 * or contacted here, so a bad setting fails before the server touches anything.
 */
import path from 'node:path';
import { usageError } from '../errors.js';
import type { Committer } from '../index-repo/committer.js';
import { resolveMetricsSettings, type MetricsFlags, type MetricsSettings } from '../metrics/metrics-settings.js';
import { NO_STORAGE_CONFIGURED, resolveStorageOptions, type StorageFlags, type StorageOptions } from '../storage/storage-options.js';
import { gitDeadlinesFromEnv, type GitDeadlines } from '../index-repo/git-network.js';
import { addSecret } from '../redact.js';
import { trustedPublishingFromEnv, type TrustedPublishingSettings } from '../trust/trust-settings.js';
import { authSettingsFromEnv, type AuthSettings } from './auth.js';
import { parseAllowedHosts, parseAllowedOrigins } from './cross-site.js';
import { LOG_FORMATS, type LogFormat, type Logger } from './logger.js';
import { DEFAULT_PUBLISH_RATE_LIMIT, type RateLimitOptions } from './rate-limit.js';

export interface ServeFlags extends StorageFlags, MetricsFlags {
  address?: string | undefined;
  port?: string | number | undefined;
  dataDir?: string | undefined;
  /** an existing local clone of the index */
  index?: string | undefined;
  /** cloned into DATA_DIR/index (INDEX_REPO_URL) */
  indexRepoUrl?: string | undefined;
  /** seconds; 0 turns periodic refreshing off */
  refreshInterval?: string | number | undefined;
  logFormat?: string | undefined;
  s3Proxy?: boolean | undefined;
  /** `<burst>/<seconds>`, e.g. `12/60`, or `off` */
  publishRateLimit?: string | undefined;
  /** seconds a whole request may take */
  requestTimeout?: string | number | undefined;
  /** more URLs this index is known by (dependencies on them count as this index) */
  indexUrl?: string[] | undefined;
  githubApiUrl?: string | undefined;
  committerName?: string | undefined;
  committerEmail?: string | undefined;
  /** seconds a git network command may take in all (GIT_TIMEOUT) */
  gitTimeout?: string | number | undefined;
  /** seconds to connect, or to wait while the remote sends nothing (GIT_CONNECT_TIMEOUT) */
  gitConnectTimeout?: string | number | undefined;
  /** comma-separated origins whose pages may write (ALLOWED_ORIGINS) */
  allowedOrigins?: string | undefined;
  /** comma-separated host names writes without auth are taken at (ALLOWED_HOSTS) */
  allowedHosts?: string | undefined;
}

export type IndexSource =
  | { kind: 'local'; dir: string }
  | { kind: 'clone'; url: string; dir: string }
  /** nothing configured: a bare repo and a clone under DATA_DIR, created on first start */
  | { kind: 'embedded'; dir: string; bareDir: string };

export interface ServerOptions {
  address: string;
  port: number;
  dataDir: string;
  index: IndexSource;
  storage: StorageOptions;
  auth: AuthSettings;
  committer?: Partial<Committer> | undefined;
  refreshIntervalMs: number;
  logFormat: LogFormat;
  /** replaces the logger made from logFormat (tests) */
  logger?: Logger | undefined;
  s3Proxy: boolean;
  publishRateLimit: RateLimitOptions | null;
  requestTimeoutMs: number;
  bodyIdleTimeoutMs: number;
  ownIndexUrls: string[];
  gitDeadlines: GitDeadlines;
  allowedOrigins: string[];
  allowedHosts: string[];
  metrics: MetricsSettings;
  /** OIDC_AUDIENCE, OIDC_ALLOW_INSECURE_ISSUERS */
  trustedPublishing: TrustedPublishingSettings;
}

type Env = Readonly<Record<string, string | undefined>>;

export const DEFAULT_REFRESH_SECONDS = 10;
export const DEFAULT_REQUEST_TIMEOUT_SECONDS = 120;
const DEFAULT_BODY_IDLE_TIMEOUT_MS = 30_000;

export function resolveServerOptions(flags: ServeFlags, env: Env = process.env, cwd = process.cwd()): ServerOptions {
  const address = flags.address ?? nonEmpty(env.ADDRESS) ?? '127.0.0.1';
  const port = parsePort(flags.port ?? nonEmpty(env.PORT) ?? '8080');
  // the official default is the literal template `{CWD}/data`, and it expands {CWD} in any value
  const dataDir = path.resolve(cwd, (flags.dataDir ?? nonEmpty(env.DATA_DIR) ?? '{CWD}/data').replaceAll('{CWD}', cwd));
  const indexRepoUrl = flags.indexRepoUrl ?? nonEmpty(env.INDEX_REPO_URL);
  if (flags.index !== undefined && flags.indexRepoUrl !== undefined) {
    throw usageError('choose one index: --index <dir> (a local clone) or --index-repo-url <url> (cloned into the data folder)');
  }
  const configuredStorage = resolveStorageOptions(flags, env);

  let index: IndexSource;
  if (flags.index !== undefined) index = { kind: 'local', dir: path.resolve(cwd, flags.index) };
  else if (indexRepoUrl !== undefined) index = { kind: 'clone', url: indexRepoUrl, dir: path.join(dataDir, 'index') };
  else index = { kind: 'embedded', dir: path.join(dataDir, 'index'), bareDir: path.join(dataDir, 'index.git') };

  // the embedded default is all or nothing: half a configuration is a mistake worth reporting
  let storage: StorageOptions;
  if (index.kind === 'embedded') {
    if (configuredStorage !== null) {
      throw usageError('storage is configured but no index is: set INDEX_REPO_URL (or --index-repo-url), or pass --index <dir> with a clone of the index');
    }
    storage = { kind: 'fs', root: path.join(dataDir, 'storage') };
  } else if (configuredStorage !== null) {
    storage = configuredStorage;
  } else {
    throw usageError(NO_STORAGE_CONFIGURED);
  }

  if (configuredStorage?.kind === 's3') addSecret(configuredStorage.secretAccessKey);
  const auth = authSettingsFromEnv(env);
  if (flags.githubApiUrl !== undefined) auth.githubApiUrl = flags.githubApiUrl;
  const committer = {
    name: flags.committerName ?? nonEmpty(env.COMMITTER_GIT_NAME),
    email: flags.committerEmail ?? nonEmpty(env.COMMITTER_GIT_EMAIL),
  };

  return {
    address,
    port,
    dataDir,
    index,
    storage,
    auth,
    committer: committer.name === undefined && committer.email === undefined ? undefined : pickDefined(committer),
    refreshIntervalMs: parseSeconds('--refresh-interval', flags.refreshInterval ?? nonEmpty(env.REFRESH_INTERVAL) ?? DEFAULT_REFRESH_SECONDS, true),
    logFormat: parseLogFormat(flags.logFormat ?? nonEmpty(env.LOG_FORMAT) ?? 'text'),
    s3Proxy: flags.s3Proxy ?? isTruthy(env.S3_PROXY),
    publishRateLimit: parseRateLimit(flags.publishRateLimit ?? nonEmpty(env.PUBLISH_RATE_LIMIT)),
    requestTimeoutMs: parseSeconds('--request-timeout', flags.requestTimeout ?? DEFAULT_REQUEST_TIMEOUT_SECONDS, false),
    bodyIdleTimeoutMs: DEFAULT_BODY_IDLE_TIMEOUT_MS,
    ownIndexUrls: flags.indexUrl ?? [],
    gitDeadlines: gitDeadlinesFromEnv(env, { connect: flags.gitConnectTimeout, total: flags.gitTimeout }),
    allowedOrigins: parseAllowedOrigins(flags.allowedOrigins ?? env.ALLOWED_ORIGINS),
    allowedHosts: parseAllowedHosts(flags.allowedHosts ?? env.ALLOWED_HOSTS),
    metrics: resolveMetricsSettings(flags, env),
    trustedPublishing: trustedPublishingFromEnv(env),
  };
}

function parsePort(value: string | number): number {
  const port = Number(value);
  if (!/^\d+$/.test(String(value).trim()) || !Number.isInteger(port) || port > 65535) {
    throw usageError(`port "${value}" (--port or PORT) is not a port number (0-65535)`);
  }
  return port;
}

function parseSeconds(flag: string, value: string | number, zeroAllowed: boolean): number {
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds < 0 || (!zeroAllowed && seconds === 0) || String(value).trim() === '') {
    throw usageError(`${flag}: "${value}" is not a number of seconds${zeroAllowed ? ' (0 turns it off)' : ''}`);
  }
  return Math.round(seconds * 1000);
}

function parseLogFormat(value: string): LogFormat {
  if ((LOG_FORMATS as readonly string[]).includes(value)) return value as LogFormat;
  throw usageError(`--log-format: "${value}" is not one of ${LOG_FORMATS.join(', ')}`);
}

/** `<burst>/<seconds>` (one more publish every <seconds> after the burst), or `off`. */
export function parseRateLimit(value: string | undefined): RateLimitOptions | null {
  if (value === undefined) return DEFAULT_PUBLISH_RATE_LIMIT;
  if (value.trim().toLowerCase() === 'off') return null;
  const match = /^\s*(\d+)\s*\/\s*(\d+(?:\.\d+)?)\s*$/.exec(value);
  const burst = Number(match?.[1]);
  const seconds = Number(match?.[2]);
  if (!match || burst < 1 || seconds <= 0) {
    throw usageError(`--publish-rate-limit: "${value}" is not <burst>/<seconds> (e.g. 12/60) or off`);
  }
  return { burst, periodMs: Math.round(seconds * 1000) };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

function isTruthy(value: string | undefined): boolean {
  return value !== undefined && /^(1|true|yes|on)$/i.test(value);
}

function pickDefined(committer: { name: string | undefined; email: string | undefined }): Partial<Committer> {
  const out: Partial<Committer> = {};
  if (committer.name !== undefined) out.name = committer.name;
  if (committer.email !== undefined) out.email = committer.email;
  return out;
}
