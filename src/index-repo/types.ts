/**
 * The data model of a pesde index, as the official registry reads and writes it
 * (protocol sections 3 and 4). Field names match the TOML keys so a parsed file maps
 * onto these types without renaming.
 */

/** In the order the official registry sorts them: this order is part of the format. */
export const TARGET_KINDS = ['roblox', 'roblox_server', 'lune', 'luau'] as const;
export type TargetKind = (typeof TARGET_KINDS)[number];

/** In the order of the official `EngineKind` enum, which is how `engines` tables are written. */
export const ENGINE_KINDS = ['pesde', 'lune'] as const;
export type EngineKind = (typeof ENGINE_KINDS)[number];

export const DEPENDENCY_TYPES = ['standard', 'peer', 'dev'] as const;
export type DependencyType = (typeof DEPENDENCY_TYPES)[number];

export interface PackageName {
  readonly scope: string;
  readonly name: string;
  /** `scope/name` */
  readonly full: string;
}

export interface Target {
  environment: TargetKind;
  lib?: string;
  /** lune and luau only */
  bin?: string;
  /** roblox kinds only; always written for them, sorted */
  build_files?: string[];
  /** lune and luau only; name -> path */
  scripts?: Record<string, string>;
}

export interface PesdeDependencySpecifier {
  name: string;
  version: string;
  index: string;
  target?: TargetKind;
}
export interface WallyDependencySpecifier {
  wally: string;
  version: string;
  index: string;
}
export interface GitDependencySpecifier {
  repo: string;
  rev: string;
  path?: string;
}
export type DependencySpecifier =
  | PesdeDependencySpecifier
  | WallyDependencySpecifier
  | GitDependencySpecifier;

export type DependencyEntry = [DependencySpecifier, DependencyType];

export interface DocPage {
  label: string;
  position?: number;
  name: string;
  hash: string;
}
export interface DocCategory {
  label: string;
  position?: number;
  items: DocEntry[];
  collapsed?: boolean;
}
export type DocEntry = DocPage | DocCategory;

export interface IndexEntry {
  published_at: string;
  description?: string;
  license?: string;
  authors?: string[];
  repository?: string;
  yanked?: boolean;
  target: Target;
  engines?: Partial<Record<EngineKind, string>>;
  docs?: DocEntry[];
  dependencies?: Record<string, DependencyEntry>;
}

export interface VersionId {
  /** canonical semver text, e.g. `1.0.0-rc.1+build.5` */
  readonly version: string;
  readonly target: TargetKind;
}

export interface IndexFile {
  /** non-empty reason when the package is deprecated */
  deprecated?: string;
  /** kept sorted by version id (semver precedence, then target kind order) */
  entries: Array<{ id: VersionId; entry: IndexEntry }>;
}

export interface ScopeInfo {
  /** publisher ids (GitHub user ids, or 0 for token auth); u64 in Rust, safe integers here */
  owners: number[];
}

/** `true`/`false`, or a list of URLs (compared without a trailing `.git`). */
export type AllowList = boolean | string[];

/** config.toml at the root of the index (protocol section 2), with defaults applied. */
export interface IndexConfig {
  api: string;
  /** the template as written; undefined means the default template */
  download?: string;
  github_oauth_client_id?: string;
  git_allowed: AllowList;
  other_registries_allowed: AllowList;
  wally_allowed: AllowList;
  max_archive_size: number;
  scripts_packages: string[];
}
