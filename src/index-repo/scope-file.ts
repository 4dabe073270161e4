/**
 * `<scope>/scope.toml`: who may publish into a scope. The official registry holds the
 * owners in a `BTreeSet<u64>`, so it writes them deduplicated and in ascending order.
 */
import { parse as parseToml, TomlError } from 'smol-toml';
import { RegistryError } from '../errors.js';
import type { ScopeInfo } from './types.js';
import { tomlDocument } from './toml-emit.js';

/**
 * `owners = [<id>, ...]` as serializeScopeInfo (and the official registry) writes it, which
 * is every scope file of the real index: read without a TOML parse, which cost a full load
 * of a 5,000-scope index 11-22 ms (2 ms now). Ids of up to 15 digits, without leading zeros,
 * are the integers the full parse accepts and Number holds exactly; anything else is parsed
 * in full.
 */
const PLAIN_OWNERS = /^owners = \[((?:0|[1-9]\d{0,14})(?:, (?:0|[1-9]\d{0,14}))*)?\]\n?$/;

export function parseScopeInfo(text: string, where?: string): ScopeInfo {
  return readPlainScopeInfo(text) ?? parseScopeInfoInFull(text, where);
}

/** The owners of a scope file in the plain form; undefined for any other text. */
export function readPlainScopeInfo(text: string): ScopeInfo | undefined {
  const plain = PLAIN_OWNERS.exec(text);
  if (plain === null) return undefined;
  return { owners: plain[1] === undefined ? [] : plain[1].split(', ').map(Number) };
}

/** The TOML parse parseScopeInfo falls back to (and is held to by its tests). */
export function parseScopeInfoInFull(text: string, where?: string): ScopeInfo {
  const fail = (problem: string): never => {
    throw new RegistryError('invalid_input', `invalid scope file${where === undefined ? '' : ` ${where}`}: ${problem}`);
  };
  let raw: Record<string, unknown>;
  try {
    // Owner ids are u64s; bigints keep large ones from being rounded silently.
    raw = parseToml(text, { integersAsBigInt: true }) as Record<string, unknown>;
  } catch (error) {
    if (!(error instanceof TomlError)) throw error;
    return fail(`not valid TOML (line ${error.line}, column ${error.column})`);
  }
  const owners = raw['owners'];
  if (!Array.isArray(owners)) {
    return fail('expected `owners = [<user id>, ...]` (add an owners array listing the publisher ids)');
  }
  return {
    owners: owners.map((owner: unknown) => {
      if (typeof owner !== 'bigint' || owner < 0n || owner > BigInt(Number.MAX_SAFE_INTEGER)) {
        return fail(`owners must be non-negative integer user ids up to ${Number.MAX_SAFE_INTEGER}, found ${String(owner)}`);
      }
      return Number(owner);
    }),
  };
}

export function serializeScopeInfo(info: ScopeInfo): string {
  const owners = [...new Set(info.owners)].sort((a, b) => a - b);
  return tomlDocument({ owners });
}
