/** `pesde-registry trust add|list|remove`: trust rules for publishing from CI without a secret. */
import { usageError } from '../errors.js';
import { normalizeIssuer, allowInsecureIssuers } from '../oidc/issuer-url.js';
import type { Reporter } from '../output.js';
import type { StorageFlags } from '../storage/storage-options.js';
import type { TrustRule } from '../trust/trust-rule.js';
import { TrustStore } from '../trust/trust-store.js';
import { openTokenStore } from './store-flags.js';

interface AddFlags extends StorageFlags {
  issuer?: string;
  repository?: string;
  ref?: string;
  workflow?: string;
  environment?: string;
  scopes?: string;
  as?: string;
}

async function openTrustStore(flags: StorageFlags): Promise<TrustStore> {
  // rules live beside the token store, in the registry's storage
  return new TrustStore((await openTokenStore(flags, 'trust')).storage);
}

export async function trustAddCommand(reporter: Reporter, flags: AddFlags): Promise<void> {
  if (flags.issuer === undefined) throw usageError('trust add needs --issuer <url>, e.g. https://token.actions.githubusercontent.com');
  if (flags.repository === undefined) throw usageError('trust add needs --repository <owner/name>');
  if (flags.as === undefined) throw usageError('trust add needs --as <user>: the user the publishes are made as');
  const scopes = (flags.scopes ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  const store = await openTrustStore(flags);
  const rule = await store.add({
    issuer: normalizeIssuer(flags.issuer, allowInsecureIssuers(process.env)),
    repository: flags.repository.trim(),
    ref: optional(flags.ref),
    workflow: optional(flags.workflow),
    environment: optional(flags.environment),
    scopes: [...new Set(scopes)].sort(),
    user: flags.as.trim().toLowerCase(),
  });
  reporter.result({ rule }, `added trust rule ${rule.id}: ${describeRule(rule)}`);
}

export async function trustListCommand(reporter: Reporter, flags: StorageFlags): Promise<void> {
  const { rules, problems } = await (await openTrustStore(flags)).readAll();
  for (const problem of problems) reporter.warn(problem);
  const text = rules.length === 0 ? 'no trust rules' : rules.map((r) => `${r.id}  ${describeRule(r)}`).join('\n');
  reporter.result({ rules, problems }, text);
}

export async function trustRemoveCommand(reporter: Reporter, id: unknown, flags: StorageFlags): Promise<void> {
  const rule = await (await openTrustStore(flags)).remove(String(id));
  reporter.result({ removed: rule }, `removed trust rule ${rule.id}: ${describeRule(rule)}`);
}

function describeRule(rule: TrustRule): string {
  const conditions = [`repository ${rule.repository}`];
  if (rule.ref !== null) conditions.push(`ref ${rule.ref}`);
  if (rule.workflow !== null) conditions.push(`workflow ${rule.workflow}`);
  if (rule.environment !== null) conditions.push(`environment ${rule.environment}`);
  return `ID tokens from ${rule.issuer} with ${conditions.join(', ')} publish as ${rule.user} (id ${rule.userId}) into ${rule.scopes.join(', ')}`;
}

function optional(value: string | undefined): string | null {
  return value === undefined || value.trim() === '' ? null : value.trim();
}
