/**
 * Who may read and write, chosen from the same variables as the official registry
 * (auth/mod.rs): ACCESS_TOKEN, GITHUB_CLIENT_SECRET (with the index's
 * github_oauth_client_id), READ_ACCESS_TOKEN + WRITE_ACCESS_TOKEN, or no auth. Where the
 * official one silently picks one of several modes or falls back to none, this refuses.
 * Tokens are compared as SHA-256 digests in constant time, so neither the token's length
 * nor its content leaks through timing.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { RegistryError, usageError } from '../errors.js';
import type { IndexConfig } from '../index-repo/types.js';
import { addSecret } from '../redact.js';
import { gitHubTokenChecker } from './github-auth.js';
import type { Logger } from './logger.js';

export interface AuthSettings {
  accessToken?: string | undefined;
  readAccessToken?: string | undefined;
  writeAccessToken?: string | undefined;
  githubClientSecret?: string | undefined;
  /** https://api.github.com unless a test or GitHub Enterprise says otherwise */
  githubApiUrl?: string | undefined;
  /** READ_NEEDS_AUTH: set (to anything) makes reads need a token too */
  readNeedsAuth?: boolean | undefined;
}

export type AuthMode = 'none' | 'token' | 'rw-token' | 'github';

export interface Authenticator {
  readonly mode: AuthMode;
  readonly readNeedsAuth: boolean;
  describe(): string;
  /**
   * The publisher id, or null to answer 401. `client` is the caller's address, by which
   * GitHub checks of unknown tokens are throttled (they may also throw a 429 or 503 HttpError).
   */
  forWrite(authorization: string | undefined, client?: string): Promise<number | null>;
  forRead(authorization: string | undefined, client?: string): Promise<number | null>;
}

export const DEFAULT_GITHUB_API_URL = 'https://api.github.com';
/** there is no GitHub account with id 0, so token modes publish as 0 */
const TOKEN_PUBLISHER_ID = 0;

const TOKEN_VARIABLES = ['ACCESS_TOKEN', 'READ_ACCESS_TOKEN', 'WRITE_ACCESS_TOKEN', 'GITHUB_CLIENT_SECRET'] as const;

/**
 * The auth variables, refusing (with one line saying what to set) every combination that
 * would leave the registry more open than it says: a token set to nothing, two modes at
 * once, half a read/write pair, and READ_NEEDS_AUTH with no way to authenticate.
 */
/** Said when reads need a token and neither a shared token nor any per-user token exists. */
export const READ_NEEDS_AUTH_WITHOUT_TOKENS =
  'READ_NEEDS_AUTH is set but no token is: set ACCESS_TOKEN, READ_ACCESS_TOKEN + WRITE_ACCESS_TOKEN or GITHUB_CLIENT_SECRET, create a per-user token (pesde-registry token create), or unset READ_NEEDS_AUTH';

export function authSettingsFromEnv(env: Readonly<Record<string, string | undefined>>): AuthSettings {
  for (const name of TOKEN_VARIABLES) {
    const value = env[name];
    if (value !== undefined && value.trim() === '') {
      throw usageError(`${name} is set but empty: give it a value, or unset it`);
    }
  }
  const settings: AuthSettings = {
    accessToken: env.ACCESS_TOKEN,
    readAccessToken: env.READ_ACCESS_TOKEN,
    writeAccessToken: env.WRITE_ACCESS_TOKEN,
    githubClientSecret: env.GITHUB_CLIENT_SECRET,
    githubApiUrl: nonEmpty(env.GITHUB_API_URL),
    readNeedsAuth: env.READ_NEEDS_AUTH !== undefined,
  };
  for (const secret of [settings.accessToken, settings.readAccessToken, settings.writeAccessToken, settings.githubClientSecret]) addSecret(secret);
  const modes = [
    settings.accessToken !== undefined && 'ACCESS_TOKEN',
    settings.githubClientSecret !== undefined && 'GITHUB_CLIENT_SECRET',
    (settings.readAccessToken !== undefined || settings.writeAccessToken !== undefined) && 'READ_ACCESS_TOKEN/WRITE_ACCESS_TOKEN',
  ].filter((m): m is string => m !== false);
  if (modes.length > 1) {
    throw usageError(`${modes.join(' and ')} are both set: choose one auth mode (ACCESS_TOKEN, GITHUB_CLIENT_SECRET, or READ_ACCESS_TOKEN + WRITE_ACCESS_TOKEN)`);
  }
  // the official registry silently falls back to no auth when only one is set: refuse instead
  if ((settings.readAccessToken === undefined) !== (settings.writeAccessToken === undefined)) {
    throw usageError('READ_ACCESS_TOKEN and WRITE_ACCESS_TOKEN must be set together (or use ACCESS_TOKEN for one token)');
  }
  // READ_NEEDS_AUTH with none of these is only enforceable with per-user tokens: the server
  // checks the token store at start (READ_NEEDS_AUTH_WITHOUT_TOKENS) and refuses when it is empty
  return settings;
}

export interface AuthDeps {
  logger: Logger;
  userAgent: string;
  fetch?: typeof fetch;
}

export function createAuthenticator(settings: AuthSettings, config: IndexConfig, deps: AuthDeps): Authenticator {
  const readNeedsAuth = settings.readNeedsAuth ?? false;
  if (settings.accessToken !== undefined) {
    const token = digest(settings.accessToken);
    const check = async (header: string | undefined) => (matches(header, token) ? TOKEN_PUBLISHER_ID : null);
    return { mode: 'token', readNeedsAuth, describe: () => 'one access token (ACCESS_TOKEN)', forWrite: check, forRead: check };
  }
  if (settings.githubClientSecret !== undefined) {
    const clientId = config.github_oauth_client_id;
    if (clientId === undefined) {
      throw new RegistryError('usage', 'GITHUB_CLIENT_SECRET is set but the index config.toml has no github_oauth_client_id: add it, or unset GITHUB_CLIENT_SECRET');
    }
    const checkToken = gitHubTokenChecker({
      clientId,
      clientSecret: settings.githubClientSecret,
      apiUrl: settings.githubApiUrl ?? DEFAULT_GITHUB_API_URL,
      logger: deps.logger,
      userAgent: deps.userAgent,
      fetch: deps.fetch,
    });
    const check = async (header: string | undefined, client?: string) => {
      const token = tokenFromHeader(header);
      return token === null || token === '' ? null : checkToken(token, client);
    };
    return { mode: 'github', readNeedsAuth, describe: () => `GitHub (client id ${clientId})`, forWrite: check, forRead: check };
  }
  if (settings.readAccessToken !== undefined && settings.writeAccessToken !== undefined) {
    const read = digest(settings.readAccessToken);
    const write = digest(settings.writeAccessToken);
    return {
      mode: 'rw-token',
      readNeedsAuth: true,
      describe: () => 'read and write tokens (READ_ACCESS_TOKEN, WRITE_ACCESS_TOKEN)',
      forWrite: async (header) => (matches(header, write) ? TOKEN_PUBLISHER_ID : null),
      // whoever may write may read: a publisher's one stored token also installs
      forRead: async (header) => (matches(header, read) || matches(header, write) ? TOKEN_PUBLISHER_ID : null),
    };
  }
  if (readNeedsAuth) {
    // no shared token can open it: only per-user tokens (checked beside this mode) do
    const nobody = async () => null;
    return { mode: 'none', readNeedsAuth, describe: () => 'per-user tokens only', forWrite: nobody, forRead: nobody };
  }
  const anyone = async () => TOKEN_PUBLISHER_ID;
  return { mode: 'none', readNeedsAuth, describe: () => 'none (anyone may publish as publisher 0)', forWrite: anyone, forRead: anyone };
}

/** The token from an Authorization header; a `Bearer ` prefix (any case) is optional. */
export function tokenFromHeader(header: string | undefined): string | null {
  if (header === undefined) return null;
  return /^bearer /i.test(header) ? header.slice(7) : header;
}

function matches(header: string | undefined, expected: Buffer): boolean {
  const token = tokenFromHeader(header);
  return token !== null && timingSafeEqual(digest(token), expected);
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
