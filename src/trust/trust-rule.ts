/**
 * A trust rule says which CI runs may publish without a secret: ID tokens from `issuer`
 * whose claims name `repository` (and, when set, a ref matching `ref`, the workflow file
 * `workflow`, the deployment `environment`) publish as `user` into `scopes`. One JSON
 * object per rule at `_trust/<rule id>.json`, next to the token store's `_tokens/`.
 */
import { randomBytes } from 'node:crypto';

export const TRUST_PREFIX = '_trust/';
export const TRUST_FORMAT = 1;

export interface TrustRule {
  format: typeof TRUST_FORMAT;
  id: string;
  issuer: string;
  /** `owner/name`, compared case-insensitively (GitHub names are) */
  repository: string;
  /** a pattern for the `ref` claim: `*` matches any run of characters */
  ref: string | null;
  /** workflow file name (`publish.yml`) or path (`.github/workflows/publish.yml`) */
  workflow: string | null;
  environment: string | null;
  scopes: string[];
  user: string;
  userId: number;
  createdAt: string;
}

/** The claims a rule looks at, from whichever provider: GitHub, Forgejo/Gitea (`repository`), GitLab (`project_path`). */
export interface SeenClaims {
  issuer: string;
  repository: string | null;
  ref: string | null;
  workflow: string | null;
  environment: string | null;
  runId: string | null;
}

const RULE_ID = /^r[0-9a-f]{12}$/;

export function newRuleId(): string {
  return `r${randomBytes(6).toString('hex')}`;
}

export function ruleKey(id: string): string {
  return `${TRUST_PREFIX}${id}.json`;
}

export function ruleIdOfKey(key: string): string | null {
  if (!key.startsWith(TRUST_PREFIX) || !key.endsWith('.json')) return null;
  const id = key.slice(TRUST_PREFIX.length, -'.json'.length);
  return RULE_ID.test(id) ? id : null;
}

export function isRuleId(value: string): boolean {
  return RULE_ID.test(value);
}

export function seenClaims(claims: Record<string, unknown>): SeenClaims {
  const text = (name: string): string | null => {
    const value = claims[name];
    return typeof value === 'string' && value !== '' ? value : typeof value === 'number' ? String(value) : null;
  };
  return {
    issuer: text('iss') ?? '',
    repository: text('repository') ?? text('project_path'),
    ref: text('ref'),
    workflow: workflowPath(text('workflow_ref')),
    environment: text('environment'),
    runId: text('run_id') ?? text('pipeline_id'),
  };
}

export function ruleMatches(rule: TrustRule, seen: SeenClaims): boolean {
  if (rule.issuer !== seen.issuer) return false;
  if (seen.repository === null || rule.repository.toLowerCase() !== seen.repository.toLowerCase()) return false;
  if (rule.ref !== null && (seen.ref === null || !refPattern(rule.ref).test(seen.ref))) return false;
  if (rule.workflow !== null && (seen.workflow === null || !workflowMatches(rule.workflow, seen.workflow))) return false;
  if (rule.environment !== null && rule.environment !== seen.environment) return false;
  return true;
}

/** For a 403: what the token said, never the token. */
export function describeClaims(seen: SeenClaims): string {
  const show = (value: string | null) => (value === null ? 'none' : JSON.stringify(value.length > 120 ? `${value.slice(0, 120)}...` : value));
  return `issuer ${show(seen.issuer)}, repository ${show(seen.repository)}, ref ${show(seen.ref)}, workflow ${show(seen.workflow)}, environment ${show(seen.environment)}`;
}

/** `acme/tools/.github/workflows/publish.yml@refs/tags/v1` -> `.github/workflows/publish.yml` */
function workflowPath(workflowRef: string | null): string | null {
  if (workflowRef === null) return null;
  const at = workflowRef.indexOf('@');
  const path = at < 0 ? workflowRef : workflowRef.slice(0, at);
  const marker = path.indexOf('/.');
  return marker < 0 ? path : path.slice(marker + 1);
}

function workflowMatches(expected: string, path: string): boolean {
  return expected.includes('/') ? path === expected : path.slice(path.lastIndexOf('/') + 1) === expected;
}

function refPattern(pattern: string): RegExp {
  const escaped = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${escaped.join('.*')}$`);
}

/** Parses a stored rule strictly; null (with the reason) when it is not one. */
export function parseTrustRule(text: string, key: string): TrustRule | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return `${key} is not JSON`;
  }
  const r = value as Partial<TrustRule> | null;
  const optional = (v: unknown) => v === null || typeof v === 'string';
  if (
    r === null || typeof r !== 'object' || r.format !== TRUST_FORMAT || typeof r.id !== 'string' || ruleKey(r.id) !== key ||
    typeof r.issuer !== 'string' || typeof r.repository !== 'string' || !optional(r.ref) || !optional(r.workflow) || !optional(r.environment) ||
    !Array.isArray(r.scopes) || !r.scopes.every((s) => typeof s === 'string') || r.scopes.length === 0 ||
    typeof r.user !== 'string' || typeof r.userId !== 'number' || !Number.isSafeInteger(r.userId) || typeof r.createdAt !== 'string'
  ) {
    return `${key} is not a trust rule (format ${TRUST_FORMAT})`;
  }
  return r as TrustRule;
}
