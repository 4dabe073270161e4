/**
 * Who may read and write, chosen from the environment exactly as the official registry
 * chooses (auth/mod.rs): ACCESS_TOKEN, else GITHUB_CLIENT_SECRET (with the index's
 * github_oauth_client_id), else READ_ACCESS_TOKEN + WRITE_ACCESS_TOKEN, else no auth.
 * Tokens are compared as SHA-256 digests in constant time, so neither the token's length
 * nor its content leaks through timing.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { RegistryError } from '../errors.js';
import type { IndexConfig } from '../index-repo/types.js';
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
  /** the publisher id, or null to answer 401 */
  forWrite(authorization: string | undefined): Promise<number | null>;
  forRead(authorization: string | undefined): Promise<number | null>;
}

export const DEFAULT_GITHUB_API_URL = 'https://api.github.com';
/** GitHub checks cost a round trip; a confirmed token is trusted this long. */
const GITHUB_CACHE_MS = 60_000;
/** there is no GitHub account with id 0, so token modes publish as 0 */
const TOKEN_PUBLISHER_ID = 0;

export function authSettingsFromEnv(env: Readonly<Record<string, string | undefined>>): AuthSettings {
  return {
    accessToken: nonEmpty(env.ACCESS_TOKEN),
    readAccessToken: nonEmpty(env.READ_ACCESS_TOKEN),
    writeAccessToken: nonEmpty(env.WRITE_ACCESS_TOKEN),
    githubClientSecret: nonEmpty(env.GITHUB_CLIENT_SECRET),
    githubApiUrl: nonEmpty(env.GITHUB_API_URL),
    readNeedsAuth: env.READ_NEEDS_AUTH !== undefined,
  };
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
    return githubAuthenticator(clientId, settings.githubClientSecret, settings.githubApiUrl ?? DEFAULT_GITHUB_API_URL, readNeedsAuth, deps);
  }
  if (settings.readAccessToken !== undefined || settings.writeAccessToken !== undefined) {
    // the official registry silently falls back to no auth when only one is set: refuse instead
    if (settings.readAccessToken === undefined || settings.writeAccessToken === undefined) {
      throw new RegistryError('usage', 'READ_ACCESS_TOKEN and WRITE_ACCESS_TOKEN must be set together (or use ACCESS_TOKEN for one token)');
    }
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
  const anyone = async () => TOKEN_PUBLISHER_ID;
  return { mode: 'none', readNeedsAuth, describe: () => 'none (anyone may publish as publisher 0)', forWrite: anyone, forRead: anyone };
}

function githubAuthenticator(clientId: string, secret: string, apiUrl: string, readNeedsAuth: boolean, deps: AuthDeps): Authenticator {
  const doFetch = deps.fetch ?? fetch;
  const base = apiUrl.replace(/\/+$/, '');
  const basic = Buffer.from(`${clientId}:${secret}`).toString('base64');
  const confirmed = new Map<string, { userId: number; until: number }>();

  const check = async (header: string | undefined): Promise<number | null> => {
    const token = tokenFromHeader(header);
    if (token === null) return null;
    const key = digest(token).toString('hex');
    const cached = confirmed.get(key);
    if (cached !== undefined && cached.until > Date.now()) return cached.userId;
    const userId = await askGitHub(token);
    if (userId === null) {
      confirmed.delete(key);
      return null;
    }
    if (confirmed.size > 10_000) confirmed.clear();
    confirmed.set(key, { userId, until: Date.now() + GITHUB_CACHE_MS });
    return userId;
  };

  const askGitHub = async (token: string): Promise<number | null> => {
    let response: Response;
    try {
      response = await doFetch(`${base}/applications/${encodeURIComponent(clientId)}/token`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${basic}`,
          accept: 'application/vnd.github+json',
          'content-type': 'application/json',
          'user-agent': deps.userAgent,
        },
        body: JSON.stringify({ access_token: token }),
        signal: AbortSignal.timeout(10_000),
      });
    } catch (error) {
      deps.logger.error(`cannot reach GitHub to check a token: ${(error as Error).message}`);
      return null;
    }
    // 404 is GitHub's answer for a token that is not valid for this app
    if (response.status === 404) return null;
    if (!response.ok) {
      deps.logger.error(`GitHub answered ${response.status} to a token check: ${(await response.text().catch(() => '')).slice(0, 200)}`);
      return null;
    }
    const body = (await response.json().catch(() => null)) as { user?: { id?: unknown } } | null;
    const id = body?.user?.id;
    if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0) {
      deps.logger.error('GitHub answered a token check without a user id');
      return null;
    }
    return id;
  };

  return { mode: 'github', readNeedsAuth, describe: () => `GitHub (client id ${clientId})`, forWrite: check, forRead: check };
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
