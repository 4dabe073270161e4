/** Trusted publishing's server settings, from the environment (no heavy imports here: serve reads it at start-up). */
import { allowInsecureIssuers } from '../oidc/issuer-url.js';

export interface TrustedPublishingSettings {
  /** OIDC_AUDIENCE: the `aud` ID tokens must carry; default config.toml's `api` */
  audience?: string | undefined;
  /** OIDC_ALLOW_INSECURE_ISSUERS=1: plain-http issuers on loopback (tests and local development only) */
  allowInsecureIssuers: boolean;
  /** least time between key re-fetches caused by unknown key ids (tests shorten it) */
  refetchCooldownMs?: number | undefined;
}

export function trustedPublishingFromEnv(env: Readonly<Record<string, string | undefined>>): TrustedPublishingSettings {
  const audience = env.OIDC_AUDIENCE;
  return { audience: audience === undefined || audience.trim() === '' ? undefined : audience.trim(), allowInsecureIssuers: allowInsecureIssuers(env) };
}
