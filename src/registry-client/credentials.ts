/**
 * Which bearer token the CLI sends to a registry: a registry token (--token,
 * PESDE_REGISTRY_TOKEN), or a CI provider's OIDC ID token for trusted publishing (--oidc
 * in GitHub Actions, --id-token-file, PESDE_REGISTRY_ID_TOKEN). At most one source.
 */
import { readFile } from 'node:fs/promises';
import { usageError } from '../errors.js';

export interface CredentialFlags {
  token?: string;
  oidc?: boolean;
  idTokenFile?: string;
  /** the audience asked for with --oidc; default the registry URL */
  audience?: string;
}

export interface Credential {
  token: string | undefined;
  /** for messages: where it came from (never the token itself) */
  source: string;
}

/** The largest ID token read from a file; real ones are about 1 KB. */
const MAX_TOKEN_FILE_BYTES = 64 * 1024;

export async function resolveCredential(flags: CredentialFlags, env: Readonly<Record<string, string | undefined>>, registryUrl: string): Promise<Credential> {
  const given = [flags.token !== undefined && '--token', flags.oidc === true && '--oidc', flags.idTokenFile !== undefined && '--id-token-file'].filter(Boolean);
  if (given.length > 1) throw usageError(`${given.join(' and ')} cannot be combined: pass one way to authenticate`);
  if (flags.token !== undefined) return { token: nonEmpty(flags.token, '--token'), source: '--token' };
  if (flags.oidc === true) {
    const { requestActionsIdToken } = await import('../oidc/actions-id-token.js');
    return { token: await requestActionsIdToken(env, flags.audience ?? registryUrl), source: 'GitHub Actions OIDC' };
  }
  if (flags.idTokenFile !== undefined) return { token: nonEmpty(await readTokenFile(flags.idTokenFile), '--id-token-file'), source: '--id-token-file' };
  if (present(env.PESDE_REGISTRY_TOKEN)) return { token: env.PESDE_REGISTRY_TOKEN.trim(), source: 'PESDE_REGISTRY_TOKEN' };
  if (present(env.PESDE_REGISTRY_ID_TOKEN)) return { token: env.PESDE_REGISTRY_ID_TOKEN.trim(), source: 'PESDE_REGISTRY_ID_TOKEN' };
  return { token: undefined, source: 'no token' };
}

async function readTokenFile(file: string): Promise<string> {
  try {
    const bytes = await readFile(file);
    if (bytes.length > MAX_TOKEN_FILE_BYTES) throw usageError(`--id-token-file: ${file} is ${bytes.length} bytes, not an ID token`);
    return bytes.toString('utf8').trim();
  } catch (error) {
    if ((error as { name?: string }).name === 'RegistryError') throw error;
    throw usageError(`--id-token-file: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

function nonEmpty(token: string, flag: string): string {
  const trimmed = token.trim();
  if (trimmed === '') throw usageError(`${flag}: the token is empty`);
  return trimmed;
}

function present(value: string | undefined): value is string {
  return value !== undefined && value.trim() !== '';
}
