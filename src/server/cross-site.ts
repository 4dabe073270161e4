/**
 * Writes only from this registry's own pages or from clients that are not browsers.
 *
 * A browser sends `Origin` with every cross-site POST, PUT and DELETE, and a `text/plain`
 * POST needs no preflight, so without this any web page could publish, yank or deprecate
 * through a visitor's browser on a registry without auth. The pesde client and curl send
 * no `Origin` and are unaffected. Without auth the `Host` must also be a name the registry
 * knows: after DNS rebinding an attacker's page is same-origin with its own host name,
 * never with the registry's (an IP address cannot be rebound, so IP literals are known).
 */
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { usageError } from '../errors.js';
import { HttpError } from './http-error.js';

export interface WriteGuardOptions {
  /** origins (scheme://host[:port]) whose pages may write, besides the registry's own */
  allowedOrigins: readonly string[];
  /** host names that may be written to without auth, besides loopback, IPs and `api`'s */
  allowedHosts: readonly string[];
  /** `api` of config.toml right now */
  api: () => string;
  /** false for the no-auth mode, where only the Host check stands against DNS rebinding */
  authRequired: boolean;
}

export interface WriteGuard {
  /** throws a 403 HttpError for a write this registry must not take */
  check(req: IncomingMessage): void;
  /** whether pages at `origin` may write (CORS preflights for writes are answered only for these) */
  allowsOrigin(origin: string, req: IncomingMessage): boolean;
}

export function createWriteGuard(opts: WriteGuardOptions): WriteGuard {
  const allowedOrigins = new Set(opts.allowedOrigins);
  const allowedHosts = new Set(opts.allowedHosts);
  let apiText = '';
  let apiUrl: URL | null = null;
  const api = (): URL | null => {
    const current = opts.api();
    if (current !== apiText) {
      apiText = current;
      apiUrl = parseUrl(current);
    }
    return apiUrl;
  };

  const allowsOrigin = (origin: string, req: IncomingMessage): boolean => {
    const url = origin === 'null' ? null : parseUrl(origin);
    if (url === null) return false;
    if (allowedOrigins.has(url.origin) || url.origin === api()?.origin) return true;
    // the registry's own pages, at whatever name they were reached by
    return req.headers.host !== undefined && url.host === req.headers.host.toLowerCase();
  };

  const knownHost = (host: string): boolean => {
    const name = hostName(host);
    if (name === null) return false;
    if (isIP(name) !== 0 || name === 'localhost' || name.endsWith('.localhost')) return true;
    return name === api()?.hostname.replace(/^\[|\]$/g, '') || allowedHosts.has(name);
  };

  return {
    allowsOrigin,
    check(req) {
      const origin = req.headers.origin;
      if (origin !== undefined && !allowsOrigin(origin, req)) {
        throw new HttpError(403, `writes from pages at ${origin.slice(0, 200)} are refused: only this registry's own site may write (see --allowed-origins)`);
      }
      // a browser that withheld Origin still says where the request came from
      if (origin === undefined && req.headers['sec-fetch-site'] === 'cross-site') {
        throw new HttpError(403, 'writes from other sites are refused');
      }
      const host = req.headers.host;
      if (!opts.authRequired && host !== undefined && !knownHost(host)) {
        throw new HttpError(403, `writes without auth are taken only at a known host name, and ${host.slice(0, 200)} is not one (see --allowed-hosts)`);
      }
    },
  };
}

/** `host[:port]` or `[v6]:port` -> the lower-case name without port or brackets. */
function hostName(host: string): string | null {
  const url = parseUrl(`http://${host}`);
  return url === null ? null : url.hostname.replace(/^\[|\]$/g, '');
}

function parseUrl(text: string): URL | null {
  try {
    return new URL(text);
  } catch {
    return null;
  }
}

/** ALLOWED_ORIGINS / --allowed-origins: comma-separated `https://site.example` origins. */
export function parseAllowedOrigins(value: string | undefined): string[] {
  return list(value).map((item) => {
    const url = parseUrl(item);
    if (url === null || !/^https?:$/.test(url.protocol) || url.origin !== item.replace(/\/$/, '').toLowerCase()) {
      throw usageError(`--allowed-origins: "${item}" is not an origin such as https://packages.example.com (scheme and host, no path)`);
    }
    return url.origin;
  });
}

/** ALLOWED_HOSTS / --allowed-hosts: comma-separated host names (no port). */
export function parseAllowedHosts(value: string | undefined): string[] {
  return list(value).map((item) => {
    const name = item.toLowerCase();
    if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(name)) {
      throw usageError(`--allowed-hosts: "${item}" is not a host name such as registry.internal (no scheme or port)`);
    }
    return name;
  });
}

function list(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}
