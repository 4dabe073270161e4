/**
 * cli.ts defines only the command a run names: each command defined alone must be the very
 * command the full program has (its help, every option and argument, its subcommands), and
 * help, typos and a run with no command must still get every command.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Command } from 'commander';
import { buildProgram } from '../../src/cli.js';

const noRun = async (): Promise<void> => undefined;
const argv = (...args: string[]) => ['node', 'pesde-registry', ...args];
const names = (program: Command) => program.commands.map((c) => c.name());

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

  it('has every top-level command when no arguments are given', () => {
    assert.deepEqual(names(full), ['init', 'publish', 'serve', 'verify', 'gc', 'storage', 'yank', 'unyank', 'deprecate', 'undeprecate', 'token', 'owner', 'log', 'trust']);
  });

  for (const command of full.commands) {
    it(`defines ${command.name()} alone, exactly as the full program does`, () => {
      const alone = buildProgram(noRun, argv(command.name(), '--json'));
      assert.deepEqual(names(alone), [command.name()]);
      assert.deepEqual(shape(alone.commands[0]!), shape(command));
    });
  }

  it('defines none for a lone --version, and all of them for help, typos and options first', () => {
    assert.deepEqual(names(buildProgram(noRun, argv('--version'))), []);
    assert.deepEqual(names(buildProgram(noRun, argv('-V'))), []);
    for (const other of [argv(), argv('help', 'publish'), argv('--help'), argv('publsh'), argv('--version', 'publish'), argv('-V', '-h')]) {
      assert.deepEqual(names(buildProgram(noRun, other)), names(full), other.join(' '));
    }
  });
});
