/**
 * Which OIDC issuers may be trusted at all: https ones. Plain-http issuers on the loopback
 * interface are allowed only with OIDC_ALLOW_INSECURE_ISSUERS=1, which exists for tests
 * and local development (a fake issuer on 127.0.0.1), never for production.
 */
import { usageError } from '../errors.js';

export const INSECURE_ISSUERS_VARIABLE = 'OIDC_ALLOW_INSECURE_ISSUERS';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

export function allowInsecureIssuers(env: Readonly<Record<string, string | undefined>>): boolean {
  return env[INSECURE_ISSUERS_VARIABLE] === '1';
}

/** The issuer as its tokens' `iss` names it (no trailing slash), or a usage error saying why not. */
export function normalizeIssuer(value: string, allowInsecure: boolean): string {
  const problem = issuerProblem(value, allowInsecure);
  if (problem !== null) throw usageError(`--issuer: ${problem}`);
  return value.replace(/\/+$/, '');
}

export function issuerProblem(value: string, allowInsecure: boolean): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `"${value}" is not a URL, e.g. https://token.actions.githubusercontent.com`;
  }
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') return 'an issuer URL has no user name, password, query or fragment';
  if (url.protocol === 'https:') return null;
  if (url.protocol === 'http:' && allowInsecure && LOOPBACK_HOSTS.has(url.hostname)) return null;
  if (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname)) return `plain-http issuers are only for tests: set ${INSECURE_ISSUERS_VARIABLE}=1 to allow ${url.origin}`;
  return 'an issuer must be an https URL';
}
