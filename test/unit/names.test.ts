import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  compareTargetKinds,
  isRobloxTarget,
  parseAlias,
  parseEngineKind,
  parsePackageName,
  parseTargetKind,
  parseWallyName,
} from '../../src/index-repo/names.js';
import { TARGET_KINDS } from '../../src/index-repo/types.js';
import { assertInvalid } from '../helpers/registry-error.js';

describe('parsePackageName', () => {
  const valid: Array<[string, string, string]> = [
    ['acme/foo', 'acme', 'foo'],
    ['abc/x', 'abc', 'x'],
    ['a_b/c_d', 'a_b', 'c_d'],
    ['0x5eal/unzip', '0x5eal', 'unzip'],
    ['lukadev_0/option', 'lukadev_0', 'option'],
    ['pesde/1a', 'pesde', '1a'],
    [`${'a'.repeat(32)}/${'b'.repeat(32)}`, 'a'.repeat(32), 'b'.repeat(32)],
  ];
  for (const [input, scope, name] of valid) {
    it(`accepts ${input}`, () => {
      assert.deepEqual(parsePackageName(input), { scope, name, full: `${scope}/${name}` });
    });
  }

  const invalid: Array<[string, string | RegExp]> = [
    ['Foo/bar', 'invalid package name "Foo/bar": scope may only contain a-z, 0-9 and _'],
    ['acme/Bar', 'invalid package name "acme/Bar": name may only contain a-z, 0-9 and _'],
    ['acme', /expected the form scope\/name/],
    ['ab/foo', /scope must be 3-32 characters long, "ab" has 2/],
    ['acme/', /name must be 1-32 characters long/],
    [`${'a'.repeat(33)}/foo`, /scope must be 3-32 characters long/],
    [`acme/${'b'.repeat(33)}`, /name must be 1-32 characters long/],
    ['123/foo', /scope "123" may not consist of digits only/],
    ['acme/42', /name "42" may not consist of digits only/],
    ['_acme/foo', /scope "_acme" may not start or end with _/],
    ['acme/foo_', /name "foo_" may not start or end with _/],
    ['acme/foo-bar', /name may only contain a-z, 0-9 and _/],
    ['acme/foo/bar', /name may only contain/],
    [' acme/foo', /scope may only contain/],
  ];
  for (const [input, message] of invalid) {
    it(`rejects ${JSON.stringify(input)}`, () => assertInvalid(() => parsePackageName(input), message));
  }
});

describe('parseWallyName', () => {
  it('accepts the index form and the bare form, and gives back the index form', () => {
    assert.deepEqual(parseWallyName('wally#sleitnick/table-util'), {
      scope: 'sleitnick',
      name: 'table-util',
      full: 'wally#sleitnick/table-util',
    });
    assert.equal(parseWallyName('jsdotlua/react').full, 'wally#jsdotlua/react');
    assert.equal(parseWallyName(`wally#${'a'.repeat(64)}/b`).scope, 'a'.repeat(64));
  });
  const invalid: Array<[string, RegExp]> = [
    ['wally#nodash', /expected the form wally#scope\/name/],
    ['wally#/name', /scope must be 1-64 characters long/],
    [`wally#${'a'.repeat(65)}/b`, /scope must be 1-64 characters long/],
    ['wally#Scope/name', /scope may only contain a-z, 0-9 and -/],
    ['wally#scope/na_me', /name may only contain a-z, 0-9 and -/],
  ];
  for (const [input, message] of invalid) {
    it(`rejects ${input}`, () => assertInvalid(() => parseWallyName(input), message));
  }
});

describe('parseAlias', () => {
  for (const alias of ['react', 'DialogueMakerTypes', 'luau-lsp', 'use_pages', 'x', '1', 'a'.repeat(48), 'selfish', 'lune2']) {
    it(`accepts ${alias.length > 20 ? `${alias.length} characters` : alias}`, () => assert.equal(parseAlias(alias), alias));
  }
  const invalid: Array<[string, RegExp]> = [
    ['', /may not be empty/],
    ['a'.repeat(49), /at most 48 characters/],
    ['self', /reserved/],
    ['Self', /reserved/],
    ['CART', /reserved/],
    ['con', /reserved/],
    ['NUL', /reserved/],
    ['com1', /reserved/],
    ['LPT9', /reserved/],
    ['pesde', /name of an engine/],
    ['Lune', /name of an engine/],
    ['foo.bar', /may only contain a-z, A-Z, 0-9, - and _/],
    ['foo bar', /may only contain/],
  ];
  for (const [alias, message] of invalid) {
    it(`rejects ${JSON.stringify(alias.length > 20 ? `${alias.length} characters` : alias)}`, () =>
      assertInvalid(() => parseAlias(alias), message));
  }
});

describe('target and engine kinds', () => {
  it('parses every target kind exactly, and nothing else', () => {
    for (const kind of TARGET_KINDS) assert.equal(parseTargetKind(kind), kind);
    assertInvalid(() => parseTargetKind('Roblox'), 'invalid target kind "Roblox": expected one of roblox, roblox_server, lune, luau');
    assertInvalid(() => parseTargetKind('roblox-server'), /expected one of/);
  });

  it('parses engines case-insensitively, as the client does', () => {
    assert.equal(parseEngineKind('pesde'), 'pesde');
    assert.equal(parseEngineKind('Lune'), 'lune');
    assertInvalid(() => parseEngineKind('luau'), 'invalid engine "luau": expected one of pesde, lune');
  });

  it('orders target kinds roblox < roblox_server < lune < luau', () => {
    const shuffled = ['luau', 'lune', 'roblox_server', 'roblox'] as const;
    assert.deepEqual([...shuffled].sort(compareTargetKinds), ['roblox', 'roblox_server', 'lune', 'luau']);
    assert.equal(compareTargetKinds('lune', 'lune'), 0);
  });

  it('knows which kinds are Roblox ones', () => {
    assert.deepEqual(TARGET_KINDS.filter(isRobloxTarget), ['roblox', 'roblox_server']);
  });
});
