/**
 * Asks GitHub Actions for the job's OIDC ID token, as `core.getIDToken(audience)` does:
 * GET $ACTIONS_ID_TOKEN_REQUEST_URL&audience=<aud> with the request token as bearer. The
 * job needs `permissions: id-token: write`, without which the variables are not set.
 */
import { boundedFetch, FetchFailure } from '../bounded-fetch.js';
import { RegistryError, usageError } from '../errors.js';

const REQUEST_TIMEOUT_MS = 15_000;
const MAX_ANSWER_BYTES = 64 * 1024;

export async function requestActionsIdToken(env: Readonly<Record<string, string | undefined>>, audience: string): Promise<string> {
  const url = env.ACTIONS_ID_TOKEN_REQUEST_URL;
  const requestToken = env.ACTIONS_ID_TOKEN_REQUEST_TOKEN;
  if (url === undefined || url === '' || requestToken === undefined || requestToken === '') {
    throw usageError('--oidc: ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN are not set: give the job `permissions: id-token: write` (GitHub Actions), or pass the CI provider\'s ID token with --id-token-file or PESDE_REGISTRY_ID_TOKEN');
  }
  let request: URL;
  try {
    request = new URL(url);
  } catch {
    throw usageError('--oidc: ACTIONS_ID_TOKEN_REQUEST_URL is not a URL');
  }
  request.searchParams.set('audience', audience);
  let answer;
  try {
    answer = await boundedFetch(request.href, {
      headers: { authorization: `Bearer ${requestToken}`, accept: 'application/json' },
      timeoutMs: REQUEST_TIMEOUT_MS,
      maxBytes: MAX_ANSWER_BYTES,
    });
  } catch (error) {
    if (error instanceof FetchFailure) throw new RegistryError('unavailable', `--oidc: cannot get the ID token from GitHub Actions: ${error.message}`);
    throw error;
  }
  if (answer.status !== 200) {
    throw new RegistryError('unauthorized', `--oidc: GitHub Actions refused to issue an ID token (${answer.status}); does the job have \`permissions: id-token: write\`?`);
  }
  let value: unknown;
  try {
    value = (JSON.parse(answer.body.toString('utf8')) as { value?: unknown }).value;
  } catch {
    value = undefined;
  }
  if (typeof value !== 'string' || value === '') throw new RegistryError('unavailable', '--oidc: GitHub Actions answered without an ID token');
  return value;
}
