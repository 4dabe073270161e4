/**
 * The flags every `--registry` command shares, turned into a RegistryClient whose retries
 * are reported as progress lines.
 */
import { packageVersion } from '../program-files.js';
import type { Reporter } from '../output.js';
import { parsePositiveIntFlag } from '../commands/flag-values.js';
import { resolveCredential, type CredentialFlags } from './credentials.js';
import { parseRegistryUrl, RegistryClient } from './registry-client.js';

export interface RegistryFlags extends CredentialFlags {
  registry: string;
  /** seconds each attempt may take */
  timeout?: string;
}

/** A publish through a busy registry waits on its git push; two minutes is the server's own request limit. */
const DEFAULT_TIMEOUT_SECONDS = 120;

export async function clientFromFlags(reporter: Reporter, flags: RegistryFlags): Promise<RegistryClient> {
  const url = parseRegistryUrl(flags.registry);
  const credential = await resolveCredential(flags, process.env, url);
  const timeoutSeconds = flags.timeout === undefined ? DEFAULT_TIMEOUT_SECONDS : parsePositiveIntFlag('--timeout', flags.timeout);
  return new RegistryClient({
    url,
    token: credential.token,
    timeoutMs: timeoutSeconds * 1000,
    userAgent: `pesde-registry/${packageVersion()}`,
    onRetry: (attempt, reason, delayMs) =>
      reporter.info(`the registry did not answer (${reason}); retrying in ${(delayMs / 1000).toFixed(1)} s (attempt ${attempt + 1})`),
  });
}
