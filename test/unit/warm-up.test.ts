/**
 * The warm-up a fresh server does in its first idle moments (building the search index,
 * rendering the newest packages' search results) shares the event loop as requests do:
 * on an index large enough that building its search index in one go would hold the loop
 * for a long time, timers keep running throughout.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { renderConfigTemplate } from '../../src/index-repo/config-template.js';
import { IndexState } from '../../src/server/index-state.js';
import { silentLogger } from '../../src/server/logger.js';
import { warmUp } from '../../src/server/warm-up.js';
import { GIT_TEST_ENV, runGit, tempDir } from '../helpers/git.js';

const PACKAGES = 30_000;

/** An index of PACKAGES one-version packages, made in one `git fast-import`. */
async function largeIndex(dir: string, count = PACKAGES): Promise<string> {
  await runGit(dir, ['init', '--quiet', '--initial-branch=main']);
  const parts: string[] = [];
  const blob = (mark: number, text: string) => parts.push(`blob\nmark :${mark}\ndata ${Buffer.byteLength(text)}\n${text}\n`);
  blob(1, renderConfigTemplate({ api: 'http://127.0.0.1:1' }));
  for (let i = 0; i < count; i++) {
    blob(i + 2, `["0.1.${i % 7} luau"]\npublished_at = "2024-01-${String(1 + (i % 28)).padStart(2, '0')}T00:00:00Z"\ndescription = "word${i % 97} tool ${i}"\n\n["0.1.${i % 7} luau".target]\nenvironment = "luau"\nlib = "init.luau"\n`);
  }
  parts.push('commit refs/heads/main\ncommitter Test <test@localhost> 0 +0000\ndata 5\nmany\nM 100644 :1 config.toml\n');
  for (let i = 0; i < count; i++) parts.push(`M 100644 :${i + 2} scope_${Math.floor(i / 10)}/pkg_${i}\n`);
  parts.push('done\n');
  execFileSync('git', ['fast-import', '--quiet', '--done'], { cwd: dir, input: parts.join(''), env: { ...process.env, ...GIT_TEST_ENV }, maxBuffer: 64 * 1024 * 1024 });
  return runGit(dir, ['rev-parse', 'main']);
}

/** Runs `use` on the state of a fresh index of `count` packages, then closes and removes both. */
async function withState(count: number, use: (state: IndexState) => Promise<void>): Promise<void> {
  const { dir, cleanup } = await tempDir();
  try {
    const state = await IndexState.load(dir, await largeIndex(dir, count));
    try {
      await use(state);
    } finally {
      state.close();
    }
  } finally {
    await cleanup();
  }
}

async function assertSearchable(state: IndexState): Promise<void> {
  // searching would build the index itself: that the warm-up built it shows before any search
  assert.equal(state.search.prepareSteps().next().done, true, 'the warm-up left the search index unbuilt');
  const found = await state.search.searchSliced('word5', 0);
  assert.ok(found.count > 0, 'the warmed search index finds nothing');
}

describe('warm-up', () => {
  it('builds the search index and renders the newest results without holding the event loop', () =>
    withState(PACKAGES, async (state) => {
      let last = performance.now();
      let longest = 0;
      const ticker = setInterval(() => {
        const now = performance.now();
        longest = Math.max(longest, now - last);
        last = now;
      }, 1);
      const stop = new AbortController();
      await warmUp(state, silentLogger, stop.signal, { packages: 200, startAfterMs: 0 });
      clearInterval(ticker);
      // built in one go, the search index of 30,000 packages held the loop for about a second here;
      // in slices, the longest gap is a few ms (the bound is generous: a loaded machine, a GC)
      assert.ok(longest < 200, `the event loop was held for ${longest.toFixed(0)} ms during the warm-up`);
      await assertSearchable(state);
    }));

  it('waits while a refresh runs, and goes on when it ends', () =>
    withState(2000, async (state) => {
      let release = () => undefined as void;
      let refreshing: Promise<void> | undefined = new Promise<void>((resolve) => {
        release = () => {
          refreshing = undefined;
          resolve();
        };
      });
      let settled = false;
      const stop = new AbortController();
      const warming = warmUp(state, silentLogger, stop.signal, { packages: 50, startAfterMs: 0, busy: () => refreshing }).then(() => {
        settled = true;
      });
      // unpaused, this warm-up (2,000 packages, 50 results) is over in a few tens of ms
      await delay(400);
      assert.equal(settled, false, 'the warm-up went on while a refresh was running');
      release();
      await warming;
      await assertSearchable(state);
    }));

  it('starts after the other background start-up work, and says when it is over', () =>
    withState(2000, async (state) => {
      const lines: Array<{ message: string; fields: unknown }> = [];
      const logger = { ...silentLogger, info: (message: string, fields?: unknown) => void lines.push({ message, fields }) };
      let release = () => undefined as void;
      const after = new Promise<void>((resolve) => (release = resolve));
      let settled = false;
      const warming = warmUp(state, logger, new AbortController().signal, { packages: 50, startAfterMs: 0, after }).then(() => {
        settled = true;
      });
      await delay(300);
      assert.equal(settled, false, 'the warm-up did not wait for the work before it');
      assert.equal(lines.length, 0, "it logged before it ran");
      release();
      await warming;
      await assertSearchable(state);
      assert.equal(lines.length, 1);
      assert.equal(lines[0]!.message, `warmed up: search index of ${state.search.size} packages, search results of 50`);
      const fields = lines[0]!.fields as { search_index_ms: number; total_ms: number };
      assert.ok(fields.search_index_ms >= 0 && fields.total_ms >= fields.search_index_ms, JSON.stringify(fields));
    }));
});
