/**
 * Who may read /metrics, from flags and the environment (resolved with the other server
 * options, before anything starts):
 *
 * - `--metrics-address <host:port>` (METRICS_ADDRESS): a second listener that serves only
 *   /metrics, e.g. on an internal interface; the public port does not serve it at all.
 * - `METRICS_TOKEN`: /metrics wants `Authorization: Bearer <token>` (on whichever port serves it).
 * - neither: /metrics is served openly on the public port only when reads are public too;
 *   on a registry whose reads need a token it is not served (fail closed), see start-metrics.ts.
 * - `--no-metrics` (METRICS=off): no metrics, and the metrics library is never loaded.
 */
import { usageError } from '../errors.js';

export interface MetricsSettings {
  enabled: boolean;
  token: string | null;
  address: { host: string; port: number } | null;
}

export interface MetricsFlags {
  /** false with --no-metrics */
  metrics?: boolean | undefined;
  metricsAddress?: string | undefined;
}

/** A guessable token would make the check pointless. */
const MIN_TOKEN_LENGTH = 16;

export function resolveMetricsSettings(flags: MetricsFlags, env: Readonly<Record<string, string | undefined>>): MetricsSettings {
  const off = flags.metrics === false || /^(0|false|no|off)$/i.test(env.METRICS ?? '');
  const token = env.METRICS_TOKEN === undefined || env.METRICS_TOKEN === '' ? null : env.METRICS_TOKEN;
  const addressText = flags.metricsAddress ?? (env.METRICS_ADDRESS === '' ? undefined : env.METRICS_ADDRESS);
  if (off) {
    if (addressText !== undefined) throw usageError('--no-metrics (or METRICS=off) and --metrics-address (or METRICS_ADDRESS) contradict each other');
    return { enabled: false, token: null, address: null };
  }
  if (token !== null && token.length < MIN_TOKEN_LENGTH) {
    throw usageError(`METRICS_TOKEN is too short: use at least ${MIN_TOKEN_LENGTH} random characters (e.g. openssl rand -hex 32)`);
  }
  return { enabled: true, token, address: addressText === undefined ? null : parseAddress(addressText) };
}

function parseAddress(text: string): { host: string; port: number } {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s]+)):(\d{1,5})$/.exec(text.trim());
  const port = Number(match?.[3]);
  if (match === null || port > 65535) {
    throw usageError(`--metrics-address: "${text}" is not <host>:<port>, e.g. 10.0.0.5:9464 or 127.0.0.1:9464`);
  }
  return { host: match[1] ?? match[2]!, port };
}
