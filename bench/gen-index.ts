/**
 * Generates a synthetic index of N packages (default 50,000) as a real git repository:
 * a bare `origin.git` and a clone `index/`, under the output folder (default bench/out/index-N).
 * Package files are the real files of the fixture index (780 packages: real field sizes,
 * versions, targets, docs, dependencies), reused under new names; the index file format
 * does not contain the package's own name, so every generated file is valid as it stands.
 *
 *   node --import tsx bench/gen-index.ts [--packages 50000] [--out bench/out/index-50000]
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { git } from '../src/index-repo/git.js';
import { BlobReader, listTree } from '../src/index-repo/tree-reader.js';
import { cloneFixtureIndex } from '../test/helpers/fixture-index.js';

export const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));

export interface GeneratedIndex {
  bare: string;
  clone: string;
  packages: number;
  versions: number;
}

const PACKAGES_PER_SCOPE = 10;

export async function generateIndex(packages: number, out: string, api = 'http://127.0.0.1:8080'): Promise<GeneratedIndex> {
  const bare = path.join(out, 'origin.git');
  const clone = path.join(out, 'index');
  const marker = path.join(out, 'complete');
  const fixture = await cloneFixtureIndex();
  const files = await listTree(fixture, 'HEAD');
  const reader = BlobReader.open(fixture);
  const packageTexts: Buffer[] = [];
  for (const f of files) {
    if (f.path.split('/').length === 2 && !f.path.endsWith('/scope.toml')) packageTexts.push((await reader.read(f.oid))!);
  }
  reader.close();
  const versionsPerText = packageTexts.map((t) => (t.toString('utf8').match(/^\["[^"]+"\]$/gm) ?? []).length);
  let versions = 0;
  for (let i = 0; i < packages; i++) versions += versionsPerText[i % packageTexts.length]!;
  if (existsSync(marker)) return { bare, clone, packages, versions };

  await rm(out, { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  await git(out, ['init', '--quiet', '--bare', '--initial-branch=main', bare]);
  const importer = spawn('git', ['fast-import', '--quiet', '--done'], { cwd: bare, stdio: ['pipe', 'inherit', 'inherit'] });
  const exited = new Promise<number>((resolve) => importer.on('exit', (code) => resolve(code ?? 1)));
  const write = (chunk: string | Buffer) => new Promise<void>((resolve) => (importer.stdin.write(chunk) ? resolve() : importer.stdin.once('drain', resolve)));
  const blob = async (mark: number, content: Buffer) => {
    await write(`blob\nmark :${mark}\ndata ${content.length}\n`);
    await write(content);
    await write('\n');
  };
  const config = Buffer.from(`api = "${api}"\nother_registries_allowed = true\nwally_allowed = true\ngit_allowed = true\n`);
  await blob(1, config);
  await blob(2, Buffer.from('owners = [0]\n'));
  for (const [i, text] of packageTexts.entries()) await blob(10 + i, text);
  const message = `generate ${packages} packages`;
  await write(`commit refs/heads/main\ncommitter Bench <bench@localhost> ${Math.floor(Date.now() / 1000)} +0000\ndata ${message.length}\n${message}\n`);
  await write('M 100644 :1 config.toml\n');
  for (let i = 0; i < packages; i++) {
    const scope = `scope_${Math.floor(i / PACKAGES_PER_SCOPE)}`;
    if (i % PACKAGES_PER_SCOPE === 0) await write(`M 100644 :2 ${scope}/scope.toml\n`);
    await write(`M 100644 :${10 + (i % packageTexts.length)} ${scope}/pkg_${i}\n`);
  }
  await write('\ndone\n');
  importer.stdin.end();
  if ((await exited) !== 0) throw new Error('git fast-import failed');
  await git(out, ['clone', '--quiet', bare, clone]);
  await git(out, ['-C', clone, 'config', 'gc.auto', '0']);
  const { writeFile } = await import('node:fs/promises');
  await writeFile(marker, `${packages}\n`);
  return { bare, clone, packages, versions };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { packages: { type: 'string', default: '50000' }, out: { type: 'string' } } });
  const count = Number(values.packages);
  const out = values.out ?? path.join(BENCH_DIR, 'out', `index-${count}`);
  const started = performance.now();
  const result = await generateIndex(count, out);
  console.log(`generated ${result.packages} packages (${result.versions} versions) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  console.log(`bare origin: ${result.bare}\nclone:       ${result.clone}`);
}
