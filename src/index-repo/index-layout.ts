/**
 * Where things live in an index: `config.toml` at the root, `<scope>/scope.toml` for who owns
 * a scope, `<scope>/<name>` for a package's versions. Storage has `storage/keys.ts`; this is
 * the index's counterpart, so no other module spells a path.
 */
import { errorMessage } from '../errors.js';
import { parsePackageName } from './names.js';
import type { PackageName } from './types.js';

export const CONFIG_FILE = 'config.toml';
export const SCOPE_FILE = 'scope.toml';

export function scopeFilePath(scope: string): string {
  return `${scope}/${SCOPE_FILE}`;
}

export function packageFilePath(name: PackageName): string {
  return `${name.scope}/${name.name}`;
}

export type IndexPath =
  | { kind: 'config' }
  | { kind: 'scope'; scope: string }
  | { kind: 'package'; name: PackageName }
  /** where a package file would be, under a name that is not a valid package name */
  | { kind: 'bad-package'; scope: string; problem: string }
  /** outside the layout (a README, CI files, a dot-folder): readers ignore it */
  | { kind: 'other' };

/** Which role a path plays in an index. */
export function classifyIndexPath(filePath: string): IndexPath {
  if (filePath === CONFIG_FILE) return { kind: 'config' };
  const parts = filePath.split('/');
  if (parts.length !== 2 || parts[0]!.startsWith('.')) return { kind: 'other' };
  const [scope, file] = parts as [string, string];
  if (file === SCOPE_FILE) return { kind: 'scope', scope };
  try {
    return { kind: 'package', name: parsePackageName(`${scope}/${file}`) };
  } catch (error) {
    return { kind: 'bad-package', scope, problem: errorMessage(error) };
  }
}
