import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { create } from 'tar';
import type { TargetKind } from '../../src/index-repo/types.js';

export interface PackageSpec {
  name: string;
  version: string;
  target?: TargetKind;
  description?: string;
  /** extra TOML appended to the manifest */
  extra?: string;
  /** replaces the generated manifest entirely */
  manifest?: string;
  /** more files: relative path -> content */
  files?: Record<string, string>;
}

export function manifestFor(spec: PackageSpec): string {
  const target = spec.target ?? 'luau';
  const targetTable =
    target === 'roblox' || target === 'roblox_server'
      ? `[target]\nenvironment = "${target}"\nlib = "src/init.luau"\nbuild_files = ["src"]\n`
      : `[target]\nenvironment = "${target}"\nlib = "src/init.luau"\n`;
  return [
    `name = "${spec.name}"`,
    `version = "${spec.version}"`,
    `description = ${JSON.stringify(spec.description ?? 'A test package')}`,
    'license = "MIT"',
    'authors = ["Test Author <author@test.invalid>"]',
    'repository = "https://github.com/example/test"',
    '',
    targetTable,
    spec.extra ?? '',
  ].join('\n');
}

/** A real .tar.gz made by `tar` from real files, like `pesde publish` uploads. */
export async function buildPackage(spec: PackageSpec): Promise<Buffer> {
  const dir = await mkdtemp(path.join(tmpdir(), 'pesde-pkg-'));
  try {
    const files: Record<string, string> = {
      'pesde.toml': spec.manifest ?? manifestFor(spec),
      'src/init.luau': 'return {}\n',
      ...spec.files,
    };
    for (const [file, content] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
      await writeFile(path.join(dir, file), content);
    }
    const out = path.join(dir, '..', `${path.basename(dir)}.tar.gz`);
    await create({ gzip: true, cwd: dir, file: out, portable: true }, Object.keys(files));
    const bytes = await readFile(out);
    await rm(out, { force: true });
    return bytes;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function writePackage(dir: string, fileName: string, spec: PackageSpec): Promise<string> {
  const file = path.join(dir, fileName);
  await writeFile(file, await buildPackage(spec));
  return file;
}
