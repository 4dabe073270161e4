/**
 * The second step of the build (build.ts): joins the modules tsc wrote into a few files, so a
 * command loads three or four files instead of every module it needs one by one. bin/
 * loads dist/pesde-registry.js, which loads the core: the CLI, every command but `serve`,
 * the publish pipeline, the index and storage code and the packages they use (commander,
 * the TOML parser, tar). The parts a run may never need load from files of their own when
 * first asked for, as they did before: the server, packing a folder, S3, metrics, OIDC.
 *
 * Why: Node resolves, reads, compiles and links each ES module on its own. A publish loaded
 * 76 of them (ours, commander's, smol-toml's and tar's), which took 137 ms beyond Node's own
 * start; bundled, 51 ms (bench/RESULTS.md, issue 17 tenth pass).
 * The code is tsc's output, only joined: no second compiler. Comments stay, so a stack
 * trace from the bundle reads as the source does.
 *
 * - Rollup, not esbuild's splitting: esbuild makes a file for every set of lazy parts that
 *   share a module, about 40 of them for a publish; Rollup lets the core be one file, which
 *   the lazy parts then import from, so each module exists once in a process.
 * - Every file goes into dist/ itself, beside tsc's tree: the code finds its worker and
 *   process entries, package.json and the modules it hashes from there (src/program-files.ts).
 *   Worker threads and the git spawner process start from tsc's modules, as before.
 * - The other dependencies stay in node_modules: they are large, only lazy parts use them,
 *   and some (shiki's grammars) are found by names made at run time.
 *
 */
import { existsSync } from 'node:fs';
import { readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import commonjsModule from '@rollup/plugin-commonjs';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import { rollup, type GetModuleInfo } from 'rollup';

// its types are CommonJS declarations of an ES default export: NodeNext sees the module object
const commonjs = commonjsModule as unknown as typeof commonjsModule.default;

// not imported from build.ts: that module is still running its top-level await when it loads this one
const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const DIST = path.join(ROOT, 'dist');
const ENTRY = path.join(DIST, 'cli.js');
/** the packages the core uses, joined into it; every other dependency is loaded from node_modules */
const BUNDLED = new Set(['commander', 'smol-toml', 'tar']);
/** what stays lazy: each of these, and what only it needs, loads when first imported */
const LAZY_PARTS = new Set(
  [
    'commands/serve.js',
    'server/app.js',
    'package/pack-directory.js',
    'storage/s3-storage.js',
    'storage/s3-client.js',
    'metrics/registry-metrics.js',
    'oidc/verify-id-token.js',
    'oidc/actions-id-token.js',
  ].map((file) => path.join(DIST, file)),
);
/** the bundle's files, named so a rebuild can remove the last build's */
const PREFIX = 'bundle-';

/** Every module the entry reaches without going through a lazy part, static imports or dynamic. */
function coreModules(moduleInfo: GetModuleInfo): Set<string> {
  const core = new Set<string>();
  const pending = [ENTRY];
  for (let id = pending.pop(); id !== undefined; id = pending.pop()) {
    if (core.has(id)) continue;
    core.add(id);
    const info = moduleInfo(id);
    if (info === null) continue;
    pending.push(...info.importedIds, ...info.dynamicallyImportedIds.filter((imported) => !LAZY_PARTS.has(imported)));
  }
  return core;
}

/** Writes dist/pesde-registry.js and its parts from tsc's dist/, replacing the last build's. */
export async function bundle(): Promise<void> {
  const manifest = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  const unbundled = Object.keys(manifest.dependencies).filter((name) => !BUNDLED.has(name));
  const isExternal = (id: string) => id.startsWith('node:') || unbundled.some((name) => id === name || id.startsWith(`${name}/`));
  for (const lazy of LAZY_PARTS) {
    // a part renamed or moved would silently join the core
    if (!existsSync(lazy)) throw new Error(`scripts/bundle.ts: ${path.relative(ROOT, lazy)} is named as a lazy part but does not exist`);
  }
  for (const entry of await readdir(DIST)) {
    if (entry.startsWith(PREFIX) || entry === 'pesde-registry.js') await rm(path.join(DIST, entry));
  }
  const build = await rollup({
    input: { 'pesde-registry': ENTRY },
    external: isExternal,
    plugins: [nodeResolve({ preferBuiltins: true }), commonjs()],
    onwarn: (warning, warn) => {
      // the sources' import cycles are fine in ES modules and were there before bundling
      if (warning.code !== 'CIRCULAR_DEPENDENCY') warn(warning);
    },
  });
  let core: Set<string> | undefined;
  try {
    await build.write({
      dir: DIST,
      format: 'es',
      entryFileNames: '[name].js',
      chunkFileNames: `${PREFIX}[hash].js`,
      // the module graph is complete by the first call: the core is worked out once
      manualChunks: (id, { getModuleInfo }) => ((core ??= coreModules(getModuleInfo)).has(id) ? `${PREFIX}core` : undefined),
    });
  } finally {
    await build.close();
  }
}
