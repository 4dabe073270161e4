/**
 * The real public pesde index (full history) as a Git bundle, cloned once per process.
 * Its `add`/`yank`/`deprecate` commits were written by the official registry, which makes
 * it the reference for the index file format.
 */
import { execFile, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { SHARED_DIR, sharedFixture } from './shared-fixtures.js';

const execFileAsync = promisify(execFile);

/** Overridable so the suite can run where the shared fixtures live elsewhere. */
export const FIXTURE_INDEX_BUNDLE = process.env['PESDE_INDEX_BUNDLE'] ?? path.join(SHARED_DIR, 'fixtures', 'pesde-index.bundle');

let clone: Promise<string> | undefined;

export function cloneFixtureIndex(): Promise<string> {
  clone ??= (async () => {
    sharedFixture(FIXTURE_INDEX_BUNDLE, 'PESDE_INDEX_BUNDLE');
    const parent = await mkdtemp(path.join(tmpdir(), 'pesde-fixture-index-'));
    process.once('exit', () => rmSync(parent, { recursive: true, force: true }));
    const dir = path.join(parent, 'index');
    await execFileAsync('git', ['clone', '--quiet', FIXTURE_INDEX_BUNDLE, dir]);
    return dir;
  })();
  return clone;
}

/**
 * Reads many objects with one `git cat-file --batch` process; `specs` are anything
 * cat-file accepts (`<commit>:<path>`, blob ids). Missing objects come back as null.
 */
export async function readObjects(repo: string, specs: readonly string[]): Promise<Array<Buffer | null>> {
  const child = spawn('git', ['cat-file', '--batch'], { cwd: repo, stdio: ['pipe', 'pipe', 'inherit'] });
  const chunks: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
  const exited = new Promise<number>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve(code ?? 1));
  });
  child.stdin.end(specs.map((s) => `${s}\n`).join(''));
  if ((await exited) !== 0) throw new Error('git cat-file --batch failed');

  const out = Buffer.concat(chunks);
  const objects: Array<Buffer | null> = [];
  let offset = 0;
  for (let i = 0; i < specs.length; i++) {
    const newline = out.indexOf(0x0a, offset);
    const header = out.toString('utf8', offset, newline);
    offset = newline + 1;
    if (header.endsWith(' missing') || header.endsWith(' ambiguous')) {
      objects.push(null);
      continue;
    }
    const size = Number(header.split(' ')[2]);
    objects.push(out.subarray(offset, offset + size));
    offset += size + 1;
  }
  return objects;
}

export async function git(repo: string, args: string[]): Promise<string> {
  const { stdout } = await execFileAsync('git', args, { cwd: repo, maxBuffer: 256 * 1024 * 1024 });
  return stdout;
}
