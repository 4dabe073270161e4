/**
 * A real Chromium for the browser tests, on any machine where `npm ci` ran: the system's own
 * when it has one (no unpacking, starts fastest), else the build that ships inside the npm
 * package `@sparticuz/chromium` (Linux x64). Which one ran is part of the result, so tests
 * can say it in their output.
 *
 * The packaged build unpacks into `os.tmpdir()` and reuses whatever it finds there, so the
 * leftovers of another version kill the browser at launch (SIGTRAP, "eglGetProcAddress not
 * found"). It is therefore unpacked once per package version into a folder of its own under
 * node_modules/.cache (private to this clone, emptied by `npm ci`), by a child process whose
 * TMPDIR is a fresh staging folder that is renamed into place only when complete: parallel
 * test files and interrupted runs never see half a browser.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DEFAULT_CACHE_ROOT = path.join(ROOT, 'node_modules', '.cache', 'pesde-registry');
const PACKAGE = '@sparticuz/chromium';

/** Names a system Chromium goes by on PATH (Debian, Ubuntu/Fedora, Google's builds). */
const SYSTEM_NAMES = ['chromium', 'chromium-browser', 'google-chrome-stable', 'google-chrome'];

/**
 * Root runs need --no-sandbox; the rest keeps the browser off the network it must not use:
 * no background fetches, no QUIC, and every non-loopback address goes to a proxy that is not
 * there (Chromium sends loopback direct), so a page can reach only 127.0.0.1.
 */
const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--proxy-server=http://127.0.0.1:9',
];

const LAUNCH_TIMEOUT_MS = 60_000;
const UNPACK_TIMEOUT_MS = 120_000;

export interface LaunchedBrowser {
  browser: Browser;
  executablePath: string;
  /** which Chromium ran, e.g. "system Chromium /usr/bin/chromium 143.0.7499.0" */
  description: string;
}

export interface LaunchOptions {
  /** where packaged builds are unpacked (one folder per version); node_modules/.cache by default */
  cacheRoot?: string;
  /** `system`, `packaged` or an executable path; PESDE_REGISTRY_CHROMIUM, else system then packaged */
  choice?: string;
}

/** Whether this platform has a packaged build (the npm package carries Linux x64 only). */
export function hasPackagedChromium(): boolean {
  return process.platform === 'linux' && process.arch === 'x64';
}

/** The system's Chromium: the first of SYSTEM_NAMES on PATH. */
export function findSystemChromium(): string | undefined {
  const dirs = (process.env['PATH'] ?? '').split(path.delimiter).filter(Boolean);
  for (const name of SYSTEM_NAMES) {
    for (const dir of dirs) {
      const candidate = path.join(dir, name);
      if (existsSync(candidate)) return candidate;
    }
  }
  return undefined;
}

/**
 * Launches a headless Chromium: the chosen one, or the system's, falling back to the packaged
 * build when there is none or it cannot start. Throws one line naming every attempt and why
 * it failed.
 */
export async function launchChromium(options: LaunchOptions = {}): Promise<LaunchedBrowser> {
  const choice = options.choice ?? process.env['PESDE_REGISTRY_CHROMIUM'] ?? '';
  const failures: string[] = [];
  const attempt = async (label: string, start: () => Promise<LaunchedBrowser>): Promise<LaunchedBrowser | undefined> => {
    try {
      return await start();
    } catch (err) {
      failures.push(`${label}: ${firstLine(err)}`);
      return undefined;
    }
  };

  if (choice !== '' && choice !== 'system' && choice !== 'packaged') {
    const explicit = await attempt(`PESDE_REGISTRY_CHROMIUM=${choice}`, () => launchExecutable(choice, 'Chromium from PESDE_REGISTRY_CHROMIUM'));
    if (explicit) return explicit;
  }
  if (choice === '' || choice === 'system') {
    const system = findSystemChromium();
    if (system === undefined) failures.push(`system: no ${SYSTEM_NAMES.join('/')} on PATH`);
    else {
      const launched = await attempt(`system ${system}`, () => launchExecutable(system, 'system Chromium'));
      if (launched) return launched;
    }
  }
  if (choice === '' || choice === 'packaged') {
    if (!hasPackagedChromium()) failures.push(`packaged: ${PACKAGE} has no build for ${process.platform}-${process.arch}`);
    else {
      const launched = await attempt(`packaged ${PACKAGE}`, () => launchPackaged(options.cacheRoot ?? DEFAULT_CACHE_ROOT));
      if (launched) return launched;
    }
  }
  throw new Error(`no Chromium could start (${failures.join('; ')})`);
}

/**
 * For a test: the launched browser, with which one ran in the test's output. Skips (loudly)
 * only where no packaged build exists, no system Chromium started, and
 * PESDE_REGISTRY_SKIP_BROWSER=1 says that is fine; anywhere else a browser that cannot start
 * fails the test.
 */
export async function launchTestBrowser(t: TestContext, options: LaunchOptions = {}): Promise<LaunchedBrowser | undefined> {
  const skipAsked = process.env['PESDE_REGISTRY_SKIP_BROWSER'] === '1';
  try {
    const launched = await launchChromium(options);
    t.diagnostic(`browser: ${launched.description}`);
    if (skipAsked) t.diagnostic('PESDE_REGISTRY_SKIP_BROWSER=1 ignored: a Chromium started');
    return launched;
  } catch (err) {
    if (!skipAsked || hasPackagedChromium()) {
      const hint = hasPackagedChromium() ? '' : ' (install Chromium, point PESDE_REGISTRY_CHROMIUM at one, or set PESDE_REGISTRY_SKIP_BROWSER=1)';
      throw new Error(`${firstLine(err)}${hint}`);
    }
    const why = `BROWSER TEST SKIPPED (PESDE_REGISTRY_SKIP_BROWSER=1 on ${process.platform}-${process.arch}): ${firstLine(err)}`;
    process.stderr.write(`\n!!! ${why}\n\n`);
    t.skip(why);
    return undefined;
  }
}

async function launchExecutable(executablePath: string, kind: string, env?: Record<string, string>): Promise<LaunchedBrowser> {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath,
    headless: true,
    args: ARGS,
    timeout: LAUNCH_TIMEOUT_MS,
    ...(env ? { env: { ...process.env, ...env } } : {}),
  });
  return { browser, executablePath, description: `${kind} ${executablePath} ${browser.version()}` };
}

/**
 * The packaged build, with the system's NSS and expat when it has them, else with the copies
 * the package carries (built for a newer glibc than the browser itself, so only as a fallback).
 */
async function launchPackaged(cacheRoot: string): Promise<LaunchedBrowser> {
  const { dir, version } = await unpackedChromium(cacheRoot);
  const executable = path.join(dir, 'chromium');
  const kind = `packaged Chromium (${PACKAGE} ${version})`;
  const fonts = { FONTCONFIG_FILE: path.join(dir, 'fonts.conf') };
  try {
    return await launchExecutable(executable, kind, fonts);
  } catch (err) {
    if (!/error while loading shared libraries/.test(String(err))) throw err;
    const libs = [path.join(dir, 'al2023', 'lib'), process.env['LD_LIBRARY_PATH']].filter(Boolean).join(path.delimiter);
    return await launchExecutable(executable, `${kind} with its own NSS libraries`, { ...fonts, LD_LIBRARY_PATH: libs });
  }
}

/** The folder holding this version's unpacked build, unpacking it first if needed. */
async function unpackedChromium(cacheRoot: string): Promise<{ dir: string; version: string }> {
  const require = createRequire(import.meta.url);
  const entry = require.resolve(PACKAGE);
  const packageDir = path.resolve(path.dirname(entry), '..', '..');
  const { version } = JSON.parse(await readFile(path.join(packageDir, 'package.json'), 'utf8')) as { version: string };
  const dir = path.join(cacheRoot, `sparticuz-chromium-${version}`);
  if (existsSync(path.join(dir, 'chromium'))) return { dir, version };

  await mkdir(cacheRoot, { recursive: true });
  const staging = await mkdtemp(path.join(cacheRoot, `sparticuz-chromium-${version}.partial-`));
  try {
    // AWS_EXECUTION_ENV makes the package also unpack its NSS libraries (al2023/lib); the
    // child's TMPDIR is the staging folder, so nothing is read from or left in the real one.
    const esmEntry = pathToFileURL(path.join(packageDir, 'build', 'esm', 'index.js')).href;
    const script = `const { default: c } = await import(${JSON.stringify(esmEntry)}); process.stdout.write(await c.executablePath());`;
    const printed = await run(process.execPath, ['--input-type=module', '-e', script], {
      ...process.env,
      TMPDIR: staging,
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs20.x',
    });
    if (printed !== path.join(staging, 'chromium')) throw new Error(`${PACKAGE} unpacked to ${printed}, not ${staging}`);
    // the package's fonts.conf points at /tmp/fonts; this one keeps the system's fonts and adds
    // the packaged ones, so text renders on machines that have no fonts at all
    await writeFile(path.join(staging, 'fonts.conf'), fontsConf(dir));
    await rename(staging, dir).catch(async (err: NodeJS.ErrnoException) => {
      // another test process finished first: its copy is complete, use it
      if (!existsSync(path.join(dir, 'chromium'))) throw err;
    });
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return { dir, version };
}

function fontsConf(dir: string): string {
  return [
    '<?xml version="1.0"?>',
    '<!DOCTYPE fontconfig SYSTEM "fonts.dtd">',
    '<fontconfig>',
    '  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>',
    `  <dir>${path.join(dir, 'fonts', 'fonts')}</dir>`,
    `  <cachedir>${path.join(dir, 'fonts-cache')}</cachedir>`,
    '</fontconfig>',
    '',
  ].join('\n');
}

function run(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { env, timeout: UNPACK_TIMEOUT_MS, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`unpacking ${PACKAGE} failed: ${firstLine(stderr || err)}`));
      else resolve(stdout.trim());
    });
  });
}

/**
 * One line for an error: its first line, plus what the browser itself said and how it exited
 * when playwright quotes them (its launch errors run to dozens of lines).
 */
function firstLine(err: unknown): string {
  const text = (err instanceof Error ? err.message : String(err)).replace(/\u001b\[[0-9;]*m/g, '');
  const lines = text.split('\n').map((line) => line.trim()).filter(Boolean);
  const said = lines.find((line) => /^\[pid=\d+\]\[err\]/.test(line))?.replace(/^\[pid=\d+\]\[err\]\s*/, '');
  const exit = /<process did exit: ([^>]*)>/.exec(text)?.[1];
  const parts = [lines[0] ?? 'unknown error', said && `browser said: ${said.slice(0, 300)}`, exit && `exit: ${exit}`];
  return parts.filter(Boolean).join('; ');
}
