import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * The project's shared fixtures (the real pesde index, real manifests) live beside the
 * repository, not in it: `<repo>/../shared`, wherever the clone is (CI clones elsewhere and
 * copies shared/ beside it). PESDE_SHARED_DIR overrides (a worktree elsewhere sets it).
 */
export const SHARED_DIR: string = process.env['PESDE_SHARED_DIR'] ?? path.join(ROOT, '..', 'shared');

/** `file` (a path under SHARED_DIR, or one given by an override variable), or one line saying where it was looked for. */
export function sharedFixture(file: string, override?: string): string {
  if (!existsSync(file)) {
    throw new Error(`shared fixture missing: ${file} (put the project's shared/ folder at ${path.join(ROOT, '..', 'shared')}, or set PESDE_SHARED_DIR${override === undefined ? '' : ` or ${override}`})`);
  }
  return file;
}

/** checked on import: a test file that needs the manifests fails with that one line, not an ENOENT */
export const MANIFEST_FIXTURES = sharedFixture(path.join(SHARED_DIR, 'fixtures', 'manifests'));
