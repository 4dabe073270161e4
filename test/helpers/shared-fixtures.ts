import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * The project's shared fixtures (the real pesde index, real manifests) live beside the
 * repository, not in it: `<repo>/../shared`, wherever the clone is (CI clones elsewhere and
 * copies shared/ beside it). PESDE_SHARED_DIR overrides.
 */
export const SHARED_DIR: string =
  process.env['PESDE_SHARED_DIR'] ?? [path.join(ROOT, '..', 'shared'), '/work/shared'].find((dir) => existsSync(dir)) ?? path.join(ROOT, '..', 'shared');

export const MANIFEST_FIXTURES = path.join(SHARED_DIR, 'fixtures', 'manifests');
