/**
 * cli.ts defines only the command a run names: each command defined alone must be the very
 * command the full program has (its help, every option and argument, its subcommands), and
 * the list of names it picks from must be the full program's own.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Command } from 'commander';
import { buildProgram, namedCommand, TOP_LEVEL_COMMANDS } from '../../src/cli.js';

const noRun = async (): Promise<void> => undefined;

/** Everything a user can see of a command and its subcommands. */
function shape(command: Command): unknown {
  return {
    help: command.helpInformation(),
    options: command.options.map((o) => [o.flags, o.description, o.defaultValue, o.mandatory]),
    subcommands: command.commands.map(shape),
  };
}

describe('the CLI program, built for one command', () => {
  const full = buildProgram(noRun);

  it('knows every top-level command of the full program, in its order', () => {
    assert.deepEqual(full.commands.map((c) => c.name()), [...TOP_LEVEL_COMMANDS]);
  });

  for (const name of TOP_LEVEL_COMMANDS) {
    it(`defines ${name} alone, exactly as the full program does`, () => {
      const alone = buildProgram(noRun, name);
      assert.deepEqual(alone.commands.map((c) => c.name()), [name]);
      assert.deepEqual(shape(alone.commands[0]!), shape(full.commands.find((c) => c.name() === name)!));
    });
  }

  it('picks the command from the arguments, and all of them for help, typos and options', () => {
    const argv = (...args: string[]) => ['node', 'pesde-registry', ...args];
    assert.equal(namedCommand(argv('publish', 'pkg.tar.gz')), 'publish');
    assert.equal(namedCommand(argv('token', 'create', '--user', 'a')), 'token');
    assert.equal(namedCommand(argv('--version')), '');
    assert.equal(buildProgram(noRun, '').commands.length, 0);
    for (const other of [argv(), argv('help', 'publish'), argv('--help'), argv('publsh'), argv('--version', 'publish'), argv('-V', '-h')]) {
      assert.equal(namedCommand(other), undefined, other.join(' '));
    }
  });
});
