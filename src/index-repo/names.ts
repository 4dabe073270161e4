/**
 * Names as the pesde client validates them (protocol section 4). The checks run in the
 * same order as the client's, so the first problem reported is the one pesde would report.
 */
import { RegistryError } from '../errors.js';
import { ENGINE_KINDS, TARGET_KINDS } from './types.js';
import type { EngineKind, PackageName, TargetKind } from './types.js';

export interface WallyPackageName {
  readonly scope: string;
  readonly name: string;
  /** `wally#scope/name`, the form index files store */
  readonly full: string;
}

const invalid = (message: string): RegistryError => new RegistryError('invalid_input', message);

/** Rust measures these lengths in UTF-8 bytes; only matters for which error a non-ASCII name gets. */
const byteLength = (s: string): number => Buffer.byteLength(s, 'utf8');

export function parsePackageName(s: string): PackageName {
  const slash = s.indexOf('/');
  if (slash === -1) {
    throw invalid(`invalid package name "${s}": expected the form scope/name, e.g. acme/foo`);
  }
  const scope = s.slice(0, slash);
  const name = s.slice(slash + 1);
  for (const [part, value, min] of [
    ['scope', scope, 3],
    ['name', name, 1],
  ] as const) {
    const problem = packageNamePartProblem(part, value, min);
    if (problem !== undefined) throw invalid(`invalid package name "${s}": ${problem}`);
  }
  return { scope, name, full: `${scope}/${name}` };
}

function packageNamePartProblem(part: string, value: string, min: number): string | undefined {
  const length = byteLength(value);
  if (length < min || length > 32) {
    return `${part} must be ${min}-32 characters long, "${value}" has ${length}`;
  }
  if (/^[0-9]+$/.test(value)) return `${part} "${value}" may not consist of digits only`;
  if (value.startsWith('_') || value.endsWith('_')) {
    return `${part} "${value}" may not start or end with _`;
  }
  if (!/^[a-z0-9_]+$/.test(value)) return `${part} may only contain a-z, 0-9 and _`;
  return undefined;
}

/** Accepts `wally#scope/name` and, as the client does, the bare `scope/name`. */
export function parseWallyName(s: string): WallyPackageName {
  const bare = s.startsWith('wally#') ? s.slice('wally#'.length) : s;
  const slash = bare.indexOf('/');
  if (slash === -1) {
    throw invalid(`invalid wally package name "${s}": expected the form wally#scope/name`);
  }
  const scope = bare.slice(0, slash);
  const name = bare.slice(slash + 1);
  for (const [part, value] of [
    ['scope', scope],
    ['name', name],
  ] as const) {
    const length = byteLength(value);
    if (length < 1 || length > 64) {
      throw invalid(`invalid wally package name "${s}": ${part} must be 1-64 characters long, it has ${length}`);
    }
    if (!/^[a-z0-9-]+$/.test(value)) {
      throw invalid(`invalid wally package name "${s}": ${part} may only contain a-z, 0-9 and -`);
    }
  }
  return { scope, name, full: `wally#${scope}/${name}` };
}

/**
 * Windows device names (the superscript digits too: Windows treats them alike), Luau's
 * `@self`, and the Cart runtime's name.
 */
const RESERVED_ALIASES = new Set([
  'con', 'prn', 'aux', 'nul',
  'com1', 'com2', 'com3', 'com4', 'com5', 'com6', 'com7', 'com8', 'com9', 'com¹', 'com²', 'com³',
  'lpt1', 'lpt2', 'lpt3', 'lpt4', 'lpt5', 'lpt6', 'lpt7', 'lpt8', 'lpt9', 'lpt¹', 'lpt²', 'lpt³',
  'self', 'cart',
]);

/** Returns the alias unchanged: aliases keep their case, only comparisons ignore it. */
export function parseAlias(s: string): string {
  if (s.length === 0) throw invalid('invalid dependency alias "": an alias may not be empty');
  if (byteLength(s) > 48) {
    throw invalid(`invalid dependency alias "${s}": an alias may be at most 48 characters long`);
  }
  if (RESERVED_ALIASES.has(s.toLowerCase())) {
    throw invalid(`invalid dependency alias "${s}": the name is reserved, choose another alias`);
  }
  if (!/^[A-Za-z0-9_-]+$/.test(s)) {
    throw invalid(`invalid dependency alias "${s}": an alias may only contain a-z, A-Z, 0-9, - and _`);
  }
  if (isEngineKind(s.toLowerCase())) {
    throw invalid(`invalid dependency alias "${s}": it is the name of an engine, choose another alias`);
  }
  return s;
}

export function parseTargetKind(s: string): TargetKind {
  if ((TARGET_KINDS as readonly string[]).includes(s)) return s as TargetKind;
  throw invalid(`invalid target kind "${s}": expected one of ${TARGET_KINDS.join(', ')}`);
}

const isEngineKind = (s: string): s is EngineKind => (ENGINE_KINDS as readonly string[]).includes(s);

/** Case-insensitive like the client's `EngineKind::from_str`; returns the canonical lower-case name. */
export function parseEngineKind(s: string): EngineKind {
  const lower = s.toLowerCase();
  if (isEngineKind(lower)) return lower;
  throw invalid(`invalid engine "${s}": expected one of ${ENGINE_KINDS.join(', ')}`);
}

/** The official enum order (roblox < roblox_server < lune < luau), not alphabetical. */
export function compareTargetKinds(a: TargetKind, b: TargetKind): number {
  return TARGET_KINDS.indexOf(a) - TARGET_KINDS.indexOf(b);
}

export function isRobloxTarget(kind: TargetKind): boolean {
  return kind === 'roblox' || kind === 'roblox_server';
}
