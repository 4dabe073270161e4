/** The answer cache's rules: one state at a time, and bounded by URL length, entries and bytes. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AnswerCache } from '../../src/server/answer-cache.js';
import { CachedBody } from '../../src/server/cached-body.js';

const answer = (text: string) => ({ route: '/v1/packages/{name}', body: new CachedBody(text) });

describe('AnswerCache', () => {
  it('answers a URL for the state it was made from, and forgets everything under a new state', () => {
    const cache = new AnswerCache<object>();
    const one = {};
    const two = {};
    assert.equal(cache.get('/a', one), undefined);
    const a = answer('{"a":1}');
    cache.remember('/a', one, a);
    assert.equal(cache.get('/a', one), a);
    assert.equal(cache.get('/b', one), undefined);
    // a publish or refresh: the same URL is a miss, and the old state's answers are gone
    assert.equal(cache.get('/a', two), undefined);
    assert.equal(cache.size, 0);
    assert.equal(cache.get('/a', one), undefined);
  });

  it('does not keep an answer made from a state that is no longer served', () => {
    const cache = new AnswerCache<object>();
    const old = {};
    const current = {};
    cache.get('/a', old);
    cache.get('/a', current);
    // a slow read of the old state finishes after the new state was first asked for
    cache.remember('/a', old, answer('{"old":true}'));
    assert.equal(cache.get('/a', current), undefined);
    assert.equal(cache.size, 0);
  });

  it('never keeps a URL over 512 characters, and starts afresh past 8192 entries', () => {
    const cache = new AnswerCache<object>();
    const state = {};
    cache.get('/', state);
    cache.remember(`/${'x'.repeat(512)}`, state, answer('{}'));
    assert.equal(cache.size, 0);
    const body = answer('{}');
    for (let i = 0; i < 8192; i++) cache.remember(`/p/${i}`, state, body);
    assert.equal(cache.size, 8192);
    cache.remember('/one-more', state, body);
    assert.equal(cache.size, 1);
    assert.equal(cache.get('/one-more', state), body);
    assert.equal(cache.get('/p/0', state), undefined);
  });

  it('starts afresh past 32 MiB of bodies, and never keeps a body larger than that alone', () => {
    const cache = new AnswerCache<object>();
    const state = {};
    cache.get('/', state);
    const mib = answer(JSON.stringify('x'.repeat(1024 * 1024 - 2)));
    for (let i = 0; i < 16; i++) cache.remember(`/m/${i}`, state, mib);
    assert.equal(cache.size, 16, '16 bodies of 1 MiB count 32 MiB with their gzip forms');
    cache.remember('/m/16', state, mib);
    assert.equal(cache.size, 1);
    cache.remember('/huge', state, answer(JSON.stringify('y'.repeat(17 * 1024 * 1024))));
    assert.equal(cache.get('/huge', state), undefined);
    assert.equal(cache.get('/m/16', state), mib, 'a body too large to keep empties nothing');
  });

  it('counts a URL remembered twice once (two requests that missed together)', () => {
    const cache = new AnswerCache<object>();
    const state = {};
    cache.get('/', state);
    const mib = answer(JSON.stringify('x'.repeat(1024 * 1024 - 2)));
    const first = answer('{"first":true}');
    cache.remember('/same', state, first);
    for (let i = 0; i < 20; i++) cache.remember('/same', state, mib);
    assert.equal(cache.get('/same', state), first, 'the first answer stays');
    for (let i = 0; i < 15; i++) cache.remember(`/m/${i}`, state, mib);
    assert.equal(cache.size, 16, 'nothing was counted for the repeats');
  });
});
