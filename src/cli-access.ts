/**
 * The commands about who may do what: `token`, `owner` and `log`. Arguments to options only;
 * each handler loads on first use, like the rest of cli.ts.
 */
import type { Command } from 'commander';
import type { Reporter } from './output.js';

type Handler = (reporter: Reporter, ...args: unknown[]) => Promise<void>;
type Run = (load: () => Promise<Handler>, args: unknown[]) => Promise<void>;
type Decorate = (cmd: Command) => Command;

export function addTokenCommands(program: Command, run: Run, withStorage: Decorate, withOutput: Decorate): void {
  const token = program.command('token').description('per-user tokens for `serve`, kept in the registry storage (see "Users and tokens" in the README)');
  withOutput(
    withStorage(
      token
        .command('create')
        .description('create a token and print it once')
        .requiredOption('--user <name>', 'the user it belongs to (a-z, 0-9, . _ -)')
        .option('--id <n>', "the user's publisher id, the number scope.toml owners hold (default: the user's id, or the next free one)")
        .option('--scopes <list>', 'comma-separated scopes it may publish to, or all', 'all')
        .option('--read-only', 'it may only read')
        .option('--expires <when>', 'a duration (90d, 12h, 30m), a date (2027-01-31) or never', 'never')
        .option('--note <text>', 'what it is for, e.g. "CI of acme/tools"'),
    ),
  ).action((...args: unknown[]) => run(async () => (await import('./commands/token.js')).tokenCreateCommand as Handler, args));
  withOutput(withStorage(token.command('list').description('list tokens (never their secrets)'))).action((...args: unknown[]) =>
    run(async () => (await import('./commands/token.js')).tokenListCommand as Handler, args),
  );
  withOutput(withStorage(token.command('revoke').description('revoke a token by its id').argument('<token-id>', 'e.g. t3f9a12bc4d5e'))).action(
    (...args: unknown[]) => run(async () => (await import('./commands/token.js')).tokenRevokeCommand as Handler, args),
  );
}

export function addOwnerCommands(program: Command, run: Run, withStorage: Decorate, withOutput: Decorate): void {
  const owner = program.command('owner').description("list or change a scope's owners (scope.toml) on a clone of the index");
  const ownerOptions = (cmd: Command): Command =>
    withOutput(
      withStorage(
        cmd
          .option('--index <dir>', 'local clone of the index', '.')
          .option('--owner <id>', 'publisher id of whoever makes the change (recorded in the commit)', '0')
          .option('--no-push', 'commit locally without pushing'),
      ),
    );
  ownerOptions(owner.command('list').description('show the owners of a scope').argument('<scope>', 'the scope')).action((...args: unknown[]) =>
    run(async () => (await import('./commands/owner.js')).ownerListCommand as Handler, args),
  );
  for (const add of [true, false]) {
    ownerOptions(
      owner
        .command(add ? 'add' : 'remove')
        .description(add ? 'add an owner (creates the scope if it does not exist)' : 'remove an owner (never the last one)')
        .argument('<scope>', 'the scope')
        .argument('<user>', 'a publisher id, or a user name from the token store (needs the storage flags)'),
    ).action((...args: unknown[]) => run(async () => (await import('./commands/owner.js')).ownerChangeCommand(add) as Handler, args));
  }
}

export function addLogCommand(program: Command, run: Run, withOutput: Decorate): void {
  withOutput(
    program
      .command('log')
      .description('list the writes in the index history: when, what and who')
      .argument('[package]', 'a package (scope/name) or a scope; all writes when left out')
      .option('--index <dir>', 'local clone of the index', '.')
      .option('--limit <n>', 'show at most this many writes'),
  ).action((...args: unknown[]) => run(async () => (await import('./commands/log.js')).logCommand as Handler, args));
}
