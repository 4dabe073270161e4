/**
 * The browser the tests use (test/helpers/browser.ts): the packaged Chromium unpacks into a
 * folder of its own, so leftovers of another version in the temp folder cannot break it, and
 * parallel first runs share one complete copy; a system Chromium is preferred, one that cannot
 * start falls back to the packaged build, and a Chromium that cannot start at all fails with
 * one line.
 */
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { hasPackagedChromium, launchChromium, type LaunchedBrowser } from '../helpers/browser.js';

const skip = hasPackagedChromium() ? false : `@sparticuz/chromium has no build for ${process.platform}-${process.arch}`;

/** Runs `body` with the given environment variables set, then puts them back. */
async function withEnv<T>(vars: Record<string, string>, body: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((key) => [key, process.env[key]]));
  Object.assign(process.env, vars);
  try {
    return await body();
  } finally {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
}

/** Loads a page from a data: URL and reads its text back, proof the browser really works. */
async function renders(launched: LaunchedBrowser): Promise<string> {
  const tab = await launched.browser.newPage();
  await tab.goto('data:text/html,<h1>it%20works</h1>');
  return (await tab.textContent('h1')) ?? '';
}

describe('the browser for the tests', { skip }, () => {
  let scratch: string;

  before(async () => {
    scratch = await mkdtemp(path.join(tmpdir(), 'pesde-browser-helper-'));
  });
  after(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  it('unpacks the packaged build once into its own folder, whatever another version left in the temp folder', { timeout: 180_000 }, async () => {
    // what an older @sparticuz/chromium leaves behind: the package's own code would reuse
    // these and the browser would die at launch
    const staleTmp = path.join(scratch, 'stale-tmp');
    await mkdir(staleTmp);
    for (const name of ['chromium', 'libEGL.so', 'libGLESv2.so', 'vk_swiftshader_icd.json']) {
      await writeFile(path.join(staleTmp, name), '#!/bin/sh\necho "stale file from another version" >&2\nexit 133\n');
    }
    await chmod(path.join(staleTmp, 'chromium'), 0o755);
    const cacheRoot = path.join(scratch, 'cache');

    // two test files starting at once on a fresh clone: both unpack, one copy stays
    const launched = await withEnv({ TMPDIR: staleTmp }, () =>
      Promise.all([launchChromium({ choice: 'packaged', cacheRoot }), launchChromium({ choice: 'packaged', cacheRoot })]),
    );
    try {
      for (const one of launched) {
        assert.match(one.description, /^packaged Chromium \(@sparticuz\/chromium 143\.\d+\.\d+\) /);
        assert.ok(one.description.includes(cacheRoot), one.description);
        assert.equal(await renders(one), 'it works');
      }
      const entries = await readdir(cacheRoot);
      assert.equal(entries.length, 1, `one complete copy, no half-unpacked leftovers: ${entries.join(', ')}`);
      assert.match(entries[0] ?? '', /^sparticuz-chromium-143\.\d+\.\d+$/);
    } finally {
      await Promise.all(launched.map((one) => one.browser.close()));
    }
    // Chromium's own profile folders (`.org.chromium.Chromium.*`) are its to remove, and it may
    // still be doing so after close() returns: they are not unpacked files, so they do not count
    const left = (await readdir(staleTmp)).filter((name) => !name.startsWith('.org.chromium.Chromium.'));
    assert.deepEqual(left.sort(), ['chromium', 'libEGL.so', 'libGLESv2.so', 'vk_swiftshader_icd.json'], 'nothing unpacked into the temp folder');
  });

  it('prefers a Chromium on PATH and says so', { timeout: 120_000 }, async () => {
    const packaged = await launchChromium({ choice: 'packaged' });
    const executable = packaged.executablePath;
    await packaged.browser.close();
    const bin = path.join(scratch, 'bin-good');
    await mkdir(bin);
    await symlink(executable, path.join(bin, 'chromium'));

    const launched = await withEnv({ PATH: `${bin}${path.delimiter}${process.env['PATH'] ?? ''}` }, () => launchChromium({ choice: '' }));
    try {
      assert.match(launched.description, new RegExp(`^system Chromium ${path.join(bin, 'chromium').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} 143\\.`));
      assert.equal(await renders(launched), 'it works');
    } finally {
      await launched.browser.close();
    }
  });

  it('falls back to the packaged build when the system Chromium cannot start', { timeout: 120_000 }, async () => {
    const bin = path.join(scratch, 'bin-broken');
    await mkdir(bin);
    await writeFile(path.join(bin, 'chromium'), '#!/bin/sh\necho "this Chromium is broken" >&2\nexit 1\n');
    await chmod(path.join(bin, 'chromium'), 0o755);

    const launched = await withEnv({ PATH: `${bin}${path.delimiter}${process.env['PATH'] ?? ''}` }, () => launchChromium({ choice: '' }));
    try {
      assert.match(launched.description, /^packaged Chromium /);
      assert.equal(await renders(launched), 'it works');
    } finally {
      await launched.browser.close();
    }
  });

  it('fails with one line naming the Chromium that could not start and why', { timeout: 60_000 }, async () => {
    const missing = path.join(scratch, 'no-such-chromium');
    await assert.rejects(launchChromium({ choice: missing }), (err: Error) => {
      assert.doesNotMatch(err.message, /\n/);
      assert.ok(err.message.startsWith(`no Chromium could start (PESDE_REGISTRY_CHROMIUM=${missing}: `), err.message);
      return true;
    });
    const broken = path.join(scratch, 'broken-chromium');
    await writeFile(broken, '#!/bin/sh\necho "cannot open display, or anything" >&2\nexit 3\n');
    await chmod(broken, 0o755);
    await assert.rejects(launchChromium({ choice: broken }), (err: Error) => {
      assert.doesNotMatch(err.message, /\n/);
      assert.match(err.message, /cannot open display, or anything/, 'the browser\'s own complaint is in the line');
      return true;
    });
  });
});
